import { readFileSync } from 'node:fs'
import { expect, test } from 'vitest'
import { errorCatalogue } from '../src/core/errors.ts'

test('docs/errors.md lists exactly the error codes that exist, with their statuses', () => {
  const text = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8')
  const documented = [...text.matchAll(/^\| `([A-Z_]+)`\s*\| (\d{3})\s*\|/gm)].map((match) => [
    match[1],
    Number(match[2]),
  ])
  expect(Object.fromEntries(documented)).toEqual(
    Object.fromEntries(Object.entries(errorCatalogue).map(([code, entry]) => [code, entry.status])),
  )
})
