import { render, screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { useState } from 'react'
import { describe, expect, test } from 'vitest'
import { Pager } from './ui.tsx'

/** A list of `pages` pages whose cursors are `c2`, `c3`, … as the API would hand them out. */
function PagedList({ pages, counted }: { pages: number; counted: boolean }) {
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined])
  const nextCursor = cursors.length < pages ? `c${cursors.length + 1}` : undefined
  return (
    <>
      <p>showing {cursors.at(-1) ?? 'first'}</p>
      <Pager
        label="Pages of leads"
        cursors={cursors}
        setCursors={setCursors}
        nextCursor={nextCursor}
        pageCount={counted ? pages : undefined}
      />
    </>
  )
}

describe('Pager', () => {
  test('walks forward by the cursor the API gave and back by the ones it kept', async () => {
    const user = userEvent.setup()
    render(<PagedList pages={3} counted />)
    const pager = screen.getByRole('navigation', { name: 'Pages of leads' })
    const previous = screen.getByRole('button', { name: '← Previous' })
    const next = screen.getByRole('button', { name: 'Next →' })
    expect(pager.textContent).toContain('Page 1 of 3')
    expect((previous as HTMLButtonElement).disabled).toBe(true)

    await user.click(next)
    await user.click(next)
    expect(screen.getByText('showing c3')).toBeTruthy()
    expect(pager.textContent).toContain('Page 3 of 3')
    expect((next as HTMLButtonElement).disabled).toBe(true)

    await user.click(previous)
    expect(screen.getByText('showing c2')).toBeTruthy()
    expect(pager.textContent).toContain('Page 2 of 3')
    expect((next as HTMLButtonElement).disabled).toBe(false)
  })

  test('says no page count when the API only estimated the total', () => {
    render(<PagedList pages={2} counted={false} />)
    const pager = screen.getByRole('navigation', { name: 'Pages of leads' })
    expect(pager.textContent).toContain('Page 1')
    expect(pager.textContent).not.toContain('of')
  })
})
