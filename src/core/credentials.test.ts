import { describe, expect, test } from 'vitest'
import { type CredentialKind, generateCredential, hashCredential } from './credentials.ts'

const sequence = (size: number) => Uint8Array.from({ length: size }, (_, i) => i)

describe('generateCredential', () => {
  test.each<[CredentialKind, string]>([
    ['apiKey', 'lr_key_AAECAwQFBgcICQoLDA0ODxAREhMUFRYX'],
    ['ingestToken', 'lr_in_AAECAwQFBgcICQoLDA0ODxAREhMUFRYX'],
  ])('%s with bytes 0..23 → %s', (kind, expected) => {
    expect(generateCredential(kind, sequence)).toBe(expected)
  })

  test('is URL-safe: bytes that base64 writes as + and / come out as - and _', () => {
    expect(generateCredential('ingestToken', (size) => new Uint8Array(size).fill(0xff))).toBe(`lr_in_${'_'.repeat(32)}`)
    const dashUnderscore = (size: number) => Uint8Array.from({ length: size }, (_, i) => [0xfb, 0xff, 0xbf][i % 3] ?? 0)
    expect(generateCredential('apiKey', dashUnderscore)).toBe(`lr_key_${'-_'.repeat(16)}`)
  })

  test('asks for 24 random bytes (192 bits)', () => {
    const sizes: number[] = []
    generateCredential('apiKey', (size) => {
      sizes.push(size)
      return new Uint8Array(size)
    })
    expect(sizes).toEqual([24])
  })

  test.each<[CredentialKind, RegExp]>([
    ['apiKey', /^lr_key_[A-Za-z0-9_-]{32}$/],
    ['ingestToken', /^lr_in_[A-Za-z0-9_-]{32}$/],
  ])('%s from the system random source has the right shape and differs each time', (kind, shape) => {
    const secrets = Array.from({ length: 50 }, () => generateCredential(kind))
    for (const secret of secrets) expect(secret).toMatch(shape)
    expect(new Set(secrets).size).toBe(50)
  })
})

describe('hashCredential', () => {
  test.each([
    ['abc', 'ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0'],
    ['', '47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU'],
    ['lr_key_x', 'oBL2vZF3x8Hqcl6ToFyRgRjplKSm-e0-jGsvpffYrNs'],
  ])('SHA-256 of %j in base64url is %s', (secret, hash) => {
    expect(hashCredential(secret)).toBe(hash)
  })

  test('is deterministic, never returns the secret, and tells secrets apart', () => {
    const secret = generateCredential('apiKey', sequence)
    expect(hashCredential(secret)).toBe(hashCredential(secret))
    expect(hashCredential(secret)).not.toContain(secret.slice(7))
    expect(hashCredential(secret)).not.toBe(hashCredential(generateCredential('ingestToken', sequence)))
    expect(hashCredential(`${secret} `)).not.toBe(hashCredential(secret))
    expect(hashCredential(secret.toUpperCase())).not.toBe(hashCredential(secret))
  })
})
