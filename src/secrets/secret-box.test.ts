import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { AppError } from '../core/errors.ts'
import type { Keyring } from './keyring.ts'
import { createSecretBox } from './secret-box.ts'

const key1 = randomBytes(32)
const key2 = randomBytes(32)
const keyring: Keyring = { current: 1, keys: new Map([[1, key1]]) }

/** Decodes one base64url part of a sealed value, flips a bit of one byte, and puts it back. */
function tamper(sealed: string, part: 2 | 3 | 4, byte = 0): string {
  const parts = sealed.split(':')
  const bytes = Buffer.from(parts[part]!, 'base64url')
  bytes[byte] = bytes[byte]! ^ 0x01
  parts[part] = bytes.toString('base64url')
  return parts.join(':')
}

function thrown(fn: () => unknown): AppError {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(AppError)
    return error as AppError
  }
  throw new Error('expected a throw')
}

describe('createSecretBox', () => {
  it('round-trips text, including empty and non-ASCII strings', () => {
    const box = createSecretBox(keyring)
    for (const text of ['s3cr3t-token', '', 'pässwörd 🔑', 'x'.repeat(10_000)]) {
      expect(box.open(box.seal(text))).toBe(text)
      expect(box.open(box.seal(text, 'dst_1'), 'dst_1')).toBe(text)
    }
  })

  it('produces the lr1 format with a fresh 12-byte IV and a 16-byte tag', () => {
    const box = createSecretBox(keyring)
    const sealed = box.seal('hello')
    const parts = sealed.split(':')
    expect(parts).toHaveLength(5)
    expect(parts[0]).toBe('lr1')
    expect(parts[1]).toBe('1')
    expect(Buffer.from(parts[2]!, 'base64url')).toHaveLength(12)
    expect(Buffer.from(parts[3]!, 'base64url')).toHaveLength(16)
    for (const part of parts.slice(2)) expect(part).toMatch(/^[A-Za-z0-9_-]*$/)
    expect(box.seal('hello')).not.toBe(sealed)
  })

  it('never contains the plaintext, nor its base64 or base64url', () => {
    const box = createSecretBox(keyring)
    const secret = 'client-secret-ABCDEFGHIJKLMNOPQRSTUVWXYZ-0123456789'
    const sealed = box.seal(secret, 'dst_1')
    expect(sealed).not.toContain(secret)
    expect(sealed).not.toContain(Buffer.from(secret).toString('base64'))
    expect(sealed).not.toContain(Buffer.from(secret).toString('base64url'))
    expect(sealed).not.toContain(Buffer.from(secret).toString('hex'))
  })

  it.each([
    ['iv', 2],
    ['tag', 3],
    ['ciphertext', 4],
  ] as const)('detects a flipped byte in the %s', (_name, part) => {
    const box = createSecretBox(keyring)
    const sealed = box.seal('do not touch', 'dst_1')
    const error = thrown(() => box.open(tamper(sealed, part), 'dst_1'))
    expect(error.code).toBe('CONFIG_INVALID')
    expect(error.message).toMatch(/failed authentication/)
    expect(error.message).not.toContain('do not touch')
  })

  it('detects a flipped byte at the end of the ciphertext', () => {
    const box = createSecretBox(keyring)
    const sealed = box.seal('0123456789')
    expect(() => box.open(tamper(sealed, 4, 9))).toThrow(/failed authentication/)
  })

  it('binds the value to its context (AAD)', () => {
    const box = createSecretBox(keyring)
    const sealed = box.seal('token', 'dst_1')
    expect(() => box.open(sealed, 'dst_2')).toThrow(/failed authentication/)
    expect(() => box.open(sealed)).toThrow(/failed authentication/)
    expect(() => box.open(box.seal('token'), 'dst_1')).toThrow(/failed authentication/)
    expect(box.open(sealed, 'dst_1')).toBe('token')
  })

  it('does not open with another key under the same version', () => {
    const sealed = createSecretBox(keyring).seal('token')
    const other = createSecretBox({ current: 1, keys: new Map([[1, key2]]) })
    expect(thrown(() => other.open(sealed)).message).toMatch(/key version 1/)
  })

  it('refuses a relabelled key version', () => {
    const both: Keyring = {
      current: 2,
      keys: new Map([
        [1, key1],
        [2, key1],
      ]),
    }
    const box = createSecretBox(both)
    const relabelled = box.seal('token').replace(/^lr1:2:/, 'lr1:1:')
    expect(() => box.open(relabelled)).toThrow(/failed authentication/)
  })

  it('names an unknown key version with CONFIG_INVALID', () => {
    const sealed = createSecretBox({ current: 7, keys: new Map([[7, key2]]) }).seal('token')
    const error = thrown(() => createSecretBox(keyring).open(sealed))
    expect(error.code).toBe('CONFIG_INVALID')
    expect(error.message).toMatch(/key version 7\b/)
    expect(error.extra).toEqual({ keyVersion: 7 })
  })

  it('rejects malformed values with CONFIG_INVALID', () => {
    const box = createSecretBox(keyring)
    const good = box.seal('token')
    for (const bad of ['', 'plain text', good.replace(/^lr1/, 'lr2'), `${good}:x`, good.replace(/:1:/, ':0:')]) {
      expect(thrown(() => box.open(bad)).code).toBe('CONFIG_INVALID')
    }
    const [a, b, iv, tag, data] = good.split(':')
    expect(() => box.open([a, b, iv!.slice(2), tag, data].join(':'))).toThrow(/IV/)
    expect(() => box.open([a, b, iv, tag!.slice(2), data].join(':'))).toThrow(/tag/)
    expect(() => box.open([a, b, iv, tag, `${data}+`].join(':'))).toThrow(/base64url/)
  })

  it('refuses a keyring without its current key or with a short key', () => {
    expect(() => createSecretBox({ current: 2, keys: new Map([[1, key1]]) })).toThrow(/current secret key version 2/)
    expect(() => createSecretBox({ current: 1, keys: new Map([[1, randomBytes(16)]]) })).toThrow(/32 bytes/)
  })

  it('tells which values need re-sealing and re-seals them with the current key', () => {
    const old = createSecretBox(keyring).seal('token', 'dst_1')
    const rotated = createSecretBox({
      current: 2,
      keys: new Map([
        [1, key1],
        [2, key2],
      ]),
    })
    expect(rotated.needsRotation(old)).toBe(true)
    expect(rotated.open(old, 'dst_1')).toBe('token')
    const fresh = rotated.reseal(old, 'dst_1')
    expect(fresh.startsWith('lr1:2:')).toBe(true)
    expect(rotated.needsRotation(fresh)).toBe(false)
    expect(rotated.open(fresh, 'dst_1')).toBe('token')
  })
})
