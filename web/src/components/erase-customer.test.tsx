import { render, screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, test, vi } from 'vitest'
import { ApiError } from '../api/client.ts'
import { type EraseApi, EraseCustomer } from './erase-customer.tsx'

const email = 'zeb.quackenbush@fabrikam.example'

function fakeApi(answer?: Error) {
  return {
    eraseCustomer: vi.fn(async (_email: string) => {
      if (answer) throw answer
      return { emailHash: 'ab12', erasedAt: '2026-11-25T12:00:00.000Z', leads: 2, deletionsQueued: 3 }
    }),
  } satisfies EraseApi
}

describe("the lead page's erase button", () => {
  test('asks first, naming the email and what erasing does; erases only on confirmation and shows the result', async () => {
    const api = fakeApi()
    const onErased = vi.fn()
    render(<EraseCustomer api={api} email={email} onErased={onErased} />)
    const user = userEvent.setup()

    await user.click(screen.getByRole('button', { name: "Erase this customer's personal data" }))
    const dialog = screen.getByRole('alertdialog', { name: `Erase ${email}?` })
    expect(dialog.textContent).toContain('cannot be undone')
    expect(dialog.textContent).toContain('asked to delete its record')
    // The safe choice has the focus: Enter right away cancels instead of erasing.
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Cancel' }))
    expect(api.eraseCustomer).not.toHaveBeenCalled()

    await user.click(screen.getByRole('button', { name: 'Erase personal data' }))
    expect(api.eraseCustomer).toHaveBeenCalledWith(email)
    expect(onErased).toHaveBeenCalledOnce()
    expect((await screen.findByRole('status')).textContent).toBe(
      `Erased the personal data of ${email} from 2 leads. 3 deletions queued at destinations that received them.`,
    )
    expect(screen.queryByRole('alertdialog')).toBeNull()
  })

  test('Cancel and Escape close the dialog without erasing', async () => {
    const api = fakeApi()
    render(<EraseCustomer api={api} email={email} onErased={() => {}} />)
    const user = userEvent.setup()
    const open = () => user.click(screen.getByRole('button', { name: "Erase this customer's personal data" }))
    await open()
    await user.click(screen.getByRole('button', { name: 'Cancel' }))
    expect(screen.queryByRole('alertdialog')).toBeNull()
    await open()
    await user.keyboard('{Escape}')
    expect(screen.queryByRole('alertdialog')).toBeNull()
    expect(api.eraseCustomer).not.toHaveBeenCalled()
  })

  test('a refusal is shown in the dialog, which stays open; a lead without an email has no button', async () => {
    const api = fakeApi(new ApiError(403, 'FORBIDDEN', 'This needs the admin role'))
    const { rerender } = render(<EraseCustomer api={api} email={email} onErased={() => {}} />)
    const user = userEvent.setup()
    await user.click(screen.getByRole('button', { name: "Erase this customer's personal data" }))
    await user.click(screen.getByRole('button', { name: 'Erase personal data' }))
    expect((await screen.findByRole('alert')).textContent).toBe('This needs the admin role (FORBIDDEN)')
    expect(screen.getByRole('alertdialog')).toBeTruthy()

    rerender(<EraseCustomer api={api} email={undefined} onErased={() => {}} />)
    expect(screen.queryByRole('button', { name: "Erase this customer's personal data" })).toBeNull()
  })
})
