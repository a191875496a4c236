import { describe, expect, test } from 'vitest'
import { createIdGenerator, type IdPrefix, pooledRandomBytes } from './ids.ts'
import { createManualClock } from './ports.ts'

const crockford = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'
const prefixes: IdPrefix[] = ['tnt', 'lead', 'evt', 'dst', 'dlv', 'att', 'key', 'aud']

/** Decodes Crockford base32 independently of the code under test. */
function decode(text: string): bigint {
  let value = 0n
  for (const char of text) {
    const digit = crockford.indexOf(char)
    if (digit === -1) throw new Error(`not Crockford base32: ${char}`)
    value = value * 32n + BigInt(digit)
  }
  return value
}

function bigintOf(bytes: Uint8Array): bigint {
  let value = 0n
  for (const byte of bytes) value = value * 256n + BigInt(byte)
  return value
}

const fixedClock = (now: number) => ({ now: () => now })
const fixedRandom = (bytes: number[]) => (size: number) => Uint8Array.from(bytes.slice(0, size))
const zeros = fixedRandom(Array(10).fill(0))

describe('createIdGenerator with a fixed clock and random source', () => {
  test('the ULID spec example time encodes as 01ARYZ6S41', () => {
    expect(createIdGenerator(fixedClock(1469918176385), zeros).next('lead')).toBe('lead_01ARYZ6S410000000000000000')
  })

  test.each<[number, string]>([
    [0, '0000000000'],
    [1, '0000000001'],
    [31, '000000000Z'],
    [32, '0000000010'],
    [Date.UTC(2026, 0, 1), '01KDVDNA00'],
    [2 ** 48 - 1, '7ZZZZZZZZZ'],
  ])('time %d → %s', (time, encoded) => {
    const id = createIdGenerator(fixedClock(time), zeros).next('evt')
    expect(id).toBe(`evt_${encoded}0000000000000000`)
    expect(decode(encoded)).toBe(BigInt(time))
  })

  test.each<[string, number[], string]>([
    ['all zero bits', Array(10).fill(0), '0000000000000000'],
    ['all one bits', Array(10).fill(0xff), 'ZZZZZZZZZZZZZZZZ'],
    ['one bit at the end', [0, 0, 0, 0, 0, 0, 0, 0, 0, 1], '0000000000000001'],
    ['one bit at the start', [0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0], 'G000000000000000'],
  ])('random part, %s', (_name, bytes, encoded) => {
    expect(createIdGenerator(fixedClock(0), fixedRandom(bytes)).next('key')).toBe(`key_0000000000${encoded}`)
  })

  test('the 80 random bits are encoded without loss', () => {
    const bytes = [0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc]
    const id = createIdGenerator(fixedClock(0), fixedRandom(bytes)).next('dlv')
    expect(decode(id.slice(-16))).toBe(bigintOf(Uint8Array.from(bytes)))
  })

  test.each(prefixes)('prefix %s: <prefix>_ then 26 Crockford characters', (prefix) => {
    const id = createIdGenerator(fixedClock(Date.UTC(2026, 4, 5, 6, 7, 8, 9)), fixedRandom([...Array(10).keys()])).next(
      prefix,
    )
    expect(id).toMatch(new RegExp(`^${prefix}_[0-9A-HJKMNP-TV-Z]{26}$`))
    expect(decode(id.slice(prefix.length + 1, prefix.length + 11))).toBe(BigInt(Date.UTC(2026, 4, 5, 6, 7, 8, 9)))
  })

  test('asks for 10 random bytes per id and uses fresh ones each time', () => {
    const sizes: number[] = []
    let counter = 0
    const ids = createIdGenerator(fixedClock(0), (size) => {
      sizes.push(size)
      counter++
      return Uint8Array.from(Array(size).fill(counter))
    })
    const a = ids.next('lead')
    const b = ids.next('lead')
    expect(sizes).toEqual([10, 10])
    expect(a).not.toBe(b)
    expect(decode(a.slice(-16))).toBe(bigintOf(Uint8Array.from(Array(10).fill(1))))
    expect(decode(b.slice(-16))).toBe(bigintOf(Uint8Array.from(Array(10).fill(2))))
  })

  test('reads the clock for every id', () => {
    const clock = createManualClock(Date.UTC(2026, 0, 1))
    const ids = createIdGenerator(clock, zeros)
    const first = ids.next('evt')
    clock.advance(1)
    const second = ids.next('evt')
    expect(decode(second.slice(4, 14)) - decode(first.slice(4, 14))).toBe(1n)
  })
})

describe('ids sort by time', () => {
  test('a later millisecond sorts after, even with smaller random bits', () => {
    const times = [
      0,
      1,
      31,
      32,
      1000,
      Date.UTC(2018, 8, 28),
      Date.UTC(2026, 0, 1),
      Date.UTC(2026, 0, 1) + 1,
      2 ** 48 - 1,
    ]
    const ids = times.map((time, i) =>
      // Earlier ids get larger random parts, so only the time part can put them in order.
      createIdGenerator(fixedClock(time), fixedRandom(Array(10).fill(255 - i))).next('lead'),
    )
    expect([...ids].sort()).toEqual(ids)
    expect(new Set(ids).size).toBe(ids.length)
  })

  test('with the system random source, ids from one millisecond still differ', () => {
    const ids = createIdGenerator(fixedClock(Date.UTC(2026, 0, 1)))
    const batch = Array.from({ length: 100 }, () => ids.next('evt'))
    expect(new Set(batch).size).toBe(100)
    for (const id of batch) expect(id.slice(0, 14)).toBe('evt_01KDVDNA00')
  })
})

describe('pooledRandomBytes', () => {
  test('hands out distinct bytes of the asked size, refilling the pool when it runs out', () => {
    const random = pooledRandomBytes(32)
    const draws = Array.from({ length: 20 }, () => Buffer.from(random(10)).toString('hex'))
    expect(draws.every((hex) => hex.length === 20)).toBe(true)
    expect(new Set(draws).size).toBe(draws.length)
    expect(random(64)).toHaveLength(64)
  })

  test('a drawn value does not change when the pool is refilled', () => {
    const random = pooledRandomBytes(16)
    const first = random(10)
    const copy = Buffer.from(first).toString('hex')
    random(10)
    random(10)
    expect(Buffer.from(first).toString('hex')).toBe(copy)
  })
})
