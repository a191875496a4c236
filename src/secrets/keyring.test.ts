import { randomBytes } from 'node:crypto'
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { AppError } from '../core/errors.ts'
import { keyFilePath, loadKeyring, rotateKeyFile } from './keyring.ts'
import { createSecretBox } from './secret-box.ts'

const posix = process.platform !== 'win32'

let root: string
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'leadrelay-keyring-'))
})
afterEach(() => {
  rmSync(root, { recursive: true, force: true })
})

function thrown(fn: () => unknown): AppError {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(AppError)
    return error as AppError
  }
  throw new Error('expected a throw')
}

describe('loadKeyring from the key file', () => {
  it('creates the data dir and a 0600 key file on first use, and reuses it', () => {
    const dataDir = join(root, 'nested', 'data')
    const first = loadKeyring({ dataDir, secretKeyEnv: undefined })
    expect(first.current).toBe(1)
    expect(first.keys.get(1)).toHaveLength(32)

    const path = keyFilePath(dataDir)
    if (posix) expect(statSync(path).mode & 0o777).toBe(0o600)
    const file = JSON.parse(readFileSync(path, 'utf8'))
    expect(file).toEqual({ current: 1, keys: { '1': first.keys.get(1)!.toString('base64') } })
    expect(readdirSync(dataDir)).toEqual(['secret-key.json'])

    const second = loadKeyring({ dataDir, secretKeyEnv: '' })
    expect(second.current).toBe(1)
    expect(second.keys.get(1)!.equals(first.keys.get(1)!)).toBe(true)

    const sealed = createSecretBox(first).seal('token', 'dst_1')
    expect(createSecretBox(second).open(sealed, 'dst_1')).toBe('token')
  })

  it.skipIf(!posix).each([0o644, 0o640, 0o604, 0o660])('refuses a key file with mode %o', (mode) => {
    loadKeyring({ dataDir: root, secretKeyEnv: undefined })
    chmodSync(keyFilePath(root), mode)
    const error = thrown(() => loadKeyring({ dataDir: root, secretKeyEnv: undefined }))
    expect(error.code).toBe('CONFIG_INVALID')
    expect(error.message).toContain('chmod 600')
    expect(error.message).toContain(keyFilePath(root))
  })

  it('accepts a hand-written key file with several versions', () => {
    const k1 = randomBytes(32)
    const k3 = randomBytes(32)
    const path = keyFilePath(root)
    writeFileSync(
      path,
      JSON.stringify({ current: 3, keys: { '1': k1.toString('base64'), '3': k3.toString('base64') } }),
      {
        mode: 0o600,
      },
    )
    const keyring = loadKeyring({ dataDir: root, secretKeyEnv: undefined })
    expect(keyring.current).toBe(3)
    expect([...keyring.keys.keys()]).toEqual([1, 3])
    expect(keyring.keys.get(3)!.equals(k3)).toBe(true)
  })

  it.each([
    ['not json', /not JSON/],
    [JSON.stringify({ current: 2, keys: { '1': randomBytes(32).toString('base64') } }), /current key version 2/],
    [JSON.stringify({ current: 1, keys: { '1': randomBytes(16).toString('base64') } }), /32-byte/],
    [JSON.stringify({ current: 1, keys: { one: randomBytes(32).toString('base64') } }), /positive integer/],
    [JSON.stringify({ current: '1', keys: {} }), /"current"/],
  ])('refuses an invalid key file: %s', (text, message) => {
    writeFileSync(keyFilePath(root), text, { mode: 0o600 })
    const error = thrown(() => loadKeyring({ dataDir: root, secretKeyEnv: undefined }))
    expect(error.code).toBe('CONFIG_INVALID')
    expect(error.message).toMatch(message)
  })
})

describe('loadKeyring from LEADRELAY_SECRET_KEY', () => {
  it('takes one base64 key as version 1 and writes no key file', () => {
    const key = randomBytes(32)
    const keyring = loadKeyring({ dataDir: root, secretKeyEnv: key.toString('base64') })
    expect(keyring.current).toBe(1)
    expect(keyring.keys.get(1)!.equals(key)).toBe(true)
    expect(readdirSync(root)).toEqual([])
  })

  it('accepts base64url and surrounding whitespace', () => {
    const key = randomBytes(32)
    const keyring = loadKeyring({ dataDir: root, secretKeyEnv: ` ${key.toString('base64url')}\n` })
    expect(keyring.keys.get(1)!.equals(key)).toBe(true)
  })

  it('takes a versioned list where the highest version is current', () => {
    const k1 = randomBytes(32)
    const k2 = randomBytes(32)
    const keyring = loadKeyring({
      dataDir: root,
      secretKeyEnv: `v2:${k2.toString('base64')}, v1:${k1.toString('base64')}`,
    })
    expect(keyring.current).toBe(2)
    expect(keyring.keys.get(1)!.equals(k1)).toBe(true)
    expect(keyring.keys.get(2)!.equals(k2)).toBe(true)
  })

  it('wins over an existing key file', () => {
    loadKeyring({ dataDir: root, secretKeyEnv: undefined })
    const key = randomBytes(32)
    expect(
      loadKeyring({ dataDir: root, secretKeyEnv: key.toString('base64') })
        .keys.get(1)!
        .equals(key),
    ).toBe(true)
  })

  it.each([
    ['too short', randomBytes(16).toString('base64')],
    ['too long', randomBytes(33).toString('base64')],
    ['not base64', 'this is not a key!'],
    ['bad entry', `version1:${randomBytes(32).toString('base64')}`],
    ['short versioned key', `v1:${randomBytes(32).toString('base64')},v2:${randomBytes(8).toString('base64')}`],
    ['duplicate version', `v1:${randomBytes(32).toString('base64')},v1:${randomBytes(32).toString('base64')}`],
    ['version 0', `v0:${randomBytes(32).toString('base64')}`],
  ])('refuses %s with CONFIG_INVALID on LEADRELAY_SECRET_KEY', (_name, value) => {
    const error = thrown(() => loadKeyring({ dataDir: root, secretKeyEnv: value }))
    expect(error.code).toBe('CONFIG_INVALID')
    expect(error.field).toBe('LEADRELAY_SECRET_KEY')
    for (const part of value.split(/[,:]/)) if (part.length >= 8) expect(error.message).not.toContain(part)
  })
})

describe('rotateKeyFile', () => {
  it('adds a new current version, keeps the old ones, and old values still open', () => {
    const before = loadKeyring({ dataDir: root, secretKeyEnv: undefined })
    const old = createSecretBox(before).seal('token', 'dst_1')

    expect(rotateKeyFile(root)).toBe(2)
    const after = loadKeyring({ dataDir: root, secretKeyEnv: undefined })
    expect(after.current).toBe(2)
    expect(after.keys.get(1)!.equals(before.keys.get(1)!)).toBe(true)
    expect(after.keys.get(2)!.equals(before.keys.get(1)!)).toBe(false)
    if (posix) expect(statSync(keyFilePath(root)).mode & 0o777).toBe(0o600)
    expect(readdirSync(root)).toEqual(['secret-key.json'])

    const box = createSecretBox(after)
    expect(box.open(old, 'dst_1')).toBe('token')
    expect(box.needsRotation(old)).toBe(true)
    const fresh = box.seal('token', 'dst_1')
    expect(fresh.startsWith('lr1:2:')).toBe(true)
    expect(box.needsRotation(fresh)).toBe(false)

    expect(rotateKeyFile(root)).toBe(3)
    const third = loadKeyring({ dataDir: root, secretKeyEnv: undefined })
    expect([...third.keys.keys()]).toEqual([1, 2, 3])
    expect(createSecretBox(third).open(fresh, 'dst_1')).toBe('token')
    expect(createSecretBox(third).needsRotation(fresh)).toBe(true)
  })

  it('refuses when the keys come from LEADRELAY_SECRET_KEY', () => {
    const error = thrown(() => rotateKeyFile(root, randomBytes(32).toString('base64')))
    expect(error.code).toBe('CONFIG_INVALID')
    expect(error.field).toBe('LEADRELAY_SECRET_KEY')
    expect(readdirSync(root)).toEqual([])
  })

  it.skipIf(!posix)('refuses to rotate an insecure key file', () => {
    loadKeyring({ dataDir: root, secretKeyEnv: undefined })
    chmodSync(keyFilePath(root), 0o644)
    expect(() => rotateKeyFile(root)).toThrow(/chmod 600/)
  })
})
