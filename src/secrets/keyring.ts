/**
 * The keys that seal destination secrets at rest: from LEADRELAY_SECRET_KEY when set, otherwise from
 * `<dataDir>/secret-key.json`, created (mode 0600) on first use.
 */

import { randomBytes } from 'node:crypto'
import {
  chmodSync,
  closeSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs'
import { join } from 'node:path'
import { AppError } from '../core/errors.ts'

/** Key versions to 32-byte AES-256 keys; `current` seals, every version opens. */
export type Keyring = { readonly current: number; readonly keys: ReadonlyMap<number, Buffer> }

export const keyLength = 32
export const keyFileName = 'secret-key.json'
const envField = 'LEADRELAY_SECRET_KEY'

export function keyFilePath(dataDir: string): string {
  return join(dataDir, keyFileName)
}

/** Where the keys come from: the environment variable wins over the key file. */
export function loadKeyring({ dataDir, secretKeyEnv }: { dataDir: string; secretKeyEnv: string | undefined }): Keyring {
  if (secretKeyEnv !== undefined && secretKeyEnv.trim() !== '') return parseSecretKeyEnv(secretKeyEnv)
  const path = keyFilePath(dataDir)
  const existing = readKeyFile(path)
  if (existing) return existing
  return createKeyFile(dataDir, path)
}

/**
 * Adds a new random key version to the key file and makes it current; older versions stay so that values sealed
 * with them still open. Returns the new version. With LEADRELAY_SECRET_KEY set the operator rotates by changing
 * the variable instead, so passing its value here refuses.
 */
export function rotateKeyFile(dataDir: string, secretKeyEnv?: string): number {
  if (secretKeyEnv !== undefined && secretKeyEnv.trim() !== '') {
    throw new AppError(
      'CONFIG_INVALID',
      `The secret keys come from ${envField}: rotate by adding a new version to it (e.g. "v1:<old>,v2:<new>"), not with the key file`,
      { field: envField },
    )
  }
  const path = keyFilePath(dataDir)
  const keyring = readKeyFile(path) ?? createKeyFile(dataDir, path)
  const version = Math.max(...keyring.keys.keys()) + 1
  const keys = new Map(keyring.keys)
  keys.set(version, randomBytes(keyLength))
  writeKeyFileAtomically(dataDir, path, { current: version, keys }, 'replace')
  return version
}

/** One base64 key (version 1), or `v1:<base64>,v2:<base64>` where the highest version is current. */
function parseSecretKeyEnv(value: string): Keyring {
  const text = value.trim()
  if (!text.includes(':') && !text.includes(',')) {
    return { current: 1, keys: new Map([[1, decodeKey(text, `${envField} is not`)]]) }
  }
  const keys = new Map<number, Buffer>()
  for (const [index, rawEntry] of text.split(',').entries()) {
    const entry = rawEntry.trim()
    const match = /^v(\d{1,9}):(.*)$/.exec(entry)
    if (!match) {
      throw new AppError(
        'CONFIG_INVALID',
        `${envField} entry ${index + 1} must look like "v<version>:<base64 key>" (e.g. "v1:…,v2:…")`,
        { field: envField },
      )
    }
    const version = Number(match[1])
    if (version < 1) {
      throw new AppError('CONFIG_INVALID', `${envField} key versions start at 1 (entry ${index + 1} is v${version})`, {
        field: envField,
      })
    }
    if (keys.has(version)) {
      throw new AppError('CONFIG_INVALID', `${envField} lists key version ${version} twice`, { field: envField })
    }
    keys.set(version, decodeKey(match[2] ?? '', `${envField} key v${version} is not`))
  }
  return { current: Math.max(...keys.keys()), keys }
}

/** Never puts the key material in the message. */
function decodeKey(text: string, what: string, field = envField): Buffer {
  const trimmed = text.trim()
  const key = /^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed) ? Buffer.from(trimmed, 'base64') : undefined
  if (key?.length !== keyLength) {
    throw new AppError(
      'CONFIG_INVALID',
      `${what} a base64-encoded ${keyLength}-byte key (generate one with: openssl rand -base64 32)`,
      { field },
    )
  }
  return key
}

/** The key file's keyring, or undefined when there is no key file yet. */
function readKeyFile(path: string): Keyring | undefined {
  let mode: number
  try {
    const stat = statSync(path)
    if (!stat.isFile()) throw new AppError('CONFIG_INVALID', `${path} is not a regular file`, { field: keyFileName })
    mode = stat.mode
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
  // Windows has no POSIX modes to check.
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw new AppError(
      'CONFIG_INVALID',
      `${path} is readable by other users (mode ${(mode & 0o777).toString(8).padStart(3, '0')}): run "chmod 600 ${path}"`,
      { field: keyFileName },
    )
  }
  return parseKeyFile(readFileSync(path, 'utf8'), path)
}

function parseKeyFile(text: string, path: string): Keyring {
  const invalid = (why: string) =>
    new AppError('CONFIG_INVALID', `${path} is not a valid key file: ${why}`, { field: keyFileName })
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch {
    throw invalid('not JSON')
  }
  if (typeof data !== 'object' || data === null) throw invalid('expected {"current": 1, "keys": {"1": "<base64>"}}')
  const { current, keys: rawKeys } = data as { current?: unknown; keys?: unknown }
  if (typeof current !== 'number' || !Number.isSafeInteger(current) || current < 1) {
    throw invalid('"current" must be a positive integer')
  }
  if (typeof rawKeys !== 'object' || rawKeys === null || Array.isArray(rawKeys))
    throw invalid('"keys" must be an object')
  const keys = new Map<number, Buffer>()
  for (const [name, value] of Object.entries(rawKeys)) {
    if (!/^[1-9]\d{0,8}$/.test(name)) throw invalid(`key version "${name}" is not a positive integer`)
    if (typeof value !== 'string') throw invalid(`key version ${name} must be a base64 string`)
    keys.set(Number(name), decodeKey(value, `${path}: key version ${name} is not`, keyFileName))
  }
  if (!keys.has(current)) throw invalid(`the current key version ${current} is not in "keys"`)
  return { current, keys }
}

function createKeyFile(dataDir: string, path: string): Keyring {
  const keyring: Keyring = { current: 1, keys: new Map([[1, randomBytes(keyLength)]]) }
  const created = writeKeyFileAtomically(dataDir, path, keyring, 'create')
  // Another process created the file first: its key is the one to use.
  return created ? keyring : readKeyFile(path)!
}

/**
 * Writes the key file through a temp file (mode 0600 from the start, fsynced) so that no reader ever sees a half
 * written file. `create` publishes with link(), which fails instead of replacing a key file another process wrote
 * meanwhile (two processes starting at once must not end up with different keys); returns false in that case.
 */
function writeKeyFileAtomically(dataDir: string, path: string, keyring: Keyring, how: 'create' | 'replace'): boolean {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 })
  const keys: Record<string, string> = {}
  for (const [version, key] of [...keyring.keys].sort(([a], [b]) => a - b))
    keys[String(version)] = key.toString('base64')
  const text = `${JSON.stringify({ current: keyring.current, keys }, null, 2)}\n`
  const temp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`
  const fd = openSync(temp, 'wx', 0o600)
  try {
    // The umask may only remove bits, but be explicit: the key file is for its owner alone.
    chmodSync(temp, 0o600)
    writeSync(fd, text)
    fsyncSync(fd)
  } catch (error) {
    closeSync(fd)
    unlinkSync(temp)
    throw error
  }
  closeSync(fd)
  try {
    if (how === 'replace') {
      renameSync(temp, path)
    } else {
      try {
        linkSync(temp, path)
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code
        if (code === 'EEXIST') return false
        // File systems without hard links: fall back to rename.
        if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS' && code !== 'EOPNOTSUPP') throw error
        renameSync(temp, path)
      }
    }
    syncDirectory(dataDir)
    return true
  } finally {
    try {
      unlinkSync(temp)
    } catch {
      // Already renamed into place.
    }
  }
}

/** Makes the rename itself durable; best effort, as not every platform can fsync a directory. */
function syncDirectory(dir: string): void {
  try {
    const fd = openSync(dir, 'r')
    try {
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
  } catch {
    // e.g. Windows
  }
}
