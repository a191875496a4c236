import { describe, expect, test } from 'vitest'
import { maxBodyDepth, nestsDeeperThan } from './json-depth.ts'

function nested(depth: number): unknown {
  let value: unknown = 'x'
  for (let index = 0; index < depth; index++) value = index % 2 === 0 ? [value] : { k: value }
  return value
}

describe('nestsDeeperThan', () => {
  test.each([
    ['a scalar', 'x', 0],
    ['null', null, 0],
    ['an empty object', {}, 1],
    ['an empty array', [], 1],
    ['a Microsoft lead', { UserDetails: { Email: 'a@b.c' }, LeadSource: 'x' }, 2],
    ['arrays in objects', { a: [{ b: [1] }] }, 4],
  ])('%s has depth %d', (_name, value, depth) => {
    expect(nestsDeeperThan(value, depth)).toBe(false)
    if (depth > 0) expect(nestsDeeperThan(value, depth - 1)).toBe(true)
  })

  test('a deep branch beside shallow ones is found', () => {
    expect(nestsDeeperThan({ a: 1, b: { c: nested(70) }, d: [] }, maxBodyDepth)).toBe(true)
    expect(nestsDeeperThan({ a: 1, b: { c: nested(62) }, d: [] }, maxBodyDepth)).toBe(false)
  })

  test('a million levels are measured without overflowing the stack', () => {
    expect(nestsDeeperThan(nested(1_000_000), maxBodyDepth)).toBe(true)
  })
})
