/**
 * Seals secrets at rest (destination credentials) with AES-256-GCM:
 * `lr1:<keyVersion>:<base64url iv>:<base64url tag>:<base64url ciphertext>`.
 */

import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { AppError } from '../core/errors.ts'
import { type Keyring, keyLength } from './keyring.ts'

export interface SecretBox {
  /**
   * Encrypts with the current key and a fresh random IV. `context` (e.g. the destination id) is authenticated, not
   * stored: `open` needs the same value, so a sealed value copied to another row does not open.
   */
  seal(plaintext: string, context?: string): string
  /** Throws `AppError('CONFIG_INVALID')` when the key version is unknown or authentication fails. */
  open(sealed: string, context?: string): string
  /** True when sealed with a key version other than the current one (re-seal it with `reseal`). */
  needsRotation(sealed: string): boolean
  /** Opens and seals again with the current key. */
  reseal(sealed: string, context?: string): string
}

const prefix = 'lr1'
const ivLength = 12
const tagLength = 16
const base64url = /^[A-Za-z0-9_-]*$/

interface Parsed {
  readonly version: number
  readonly iv: Buffer
  readonly tag: Buffer
  readonly ciphertext: Buffer
}

function malformed(why: string): AppError {
  return new AppError('CONFIG_INVALID', `A stored secret is not a valid sealed value (${why})`)
}

function parse(sealed: string): Parsed {
  if (typeof sealed !== 'string') throw malformed('not a string')
  const parts = sealed.split(':')
  if (parts.length !== 5 || parts[0] !== prefix) throw malformed(`expected "${prefix}:<version>:<iv>:<tag>:<data>"`)
  const [, versionText = '', ivText = '', tagText = '', dataText = ''] = parts
  if (!/^[1-9]\d{0,8}$/.test(versionText)) throw malformed('bad key version')
  if (!base64url.test(ivText) || !base64url.test(tagText) || !base64url.test(dataText)) throw malformed('not base64url')
  const iv = Buffer.from(ivText, 'base64url')
  const tag = Buffer.from(tagText, 'base64url')
  if (iv.length !== ivLength) throw malformed(`the IV must be ${ivLength} bytes`)
  if (tag.length !== tagLength) throw malformed(`the tag must be ${tagLength} bytes`)
  return { version: Number(versionText), iv, tag, ciphertext: Buffer.from(dataText, 'base64url') }
}

/** The format and key version are authenticated along with the context, which comes last so no separator is needed. */
function additionalData(version: number, context: string | undefined): Buffer {
  return Buffer.from(`${prefix}\0${version}\0${context ?? ''}`, 'utf8')
}

export function createSecretBox(keyring: Keyring): SecretBox {
  for (const [version, key] of keyring.keys) {
    if (key.length !== keyLength) {
      throw new AppError('CONFIG_INVALID', `Secret key version ${version} is not ${keyLength} bytes long`)
    }
  }
  const currentKey = keyring.keys.get(keyring.current)
  if (!currentKey) {
    throw new AppError('CONFIG_INVALID', `The current secret key version ${keyring.current} is not in the keyring`)
  }
  const sealingKey: Buffer = currentKey

  function seal(plaintext: string, context?: string): string {
    const iv = randomBytes(ivLength)
    const cipher = createCipheriv('aes-256-gcm', sealingKey, iv, { authTagLength: tagLength })
    cipher.setAAD(additionalData(keyring.current, context))
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
    const tag = cipher.getAuthTag()
    return [
      prefix,
      String(keyring.current),
      iv.toString('base64url'),
      tag.toString('base64url'),
      ciphertext.toString('base64url'),
    ].join(':')
  }

  function open(sealed: string, context?: string): string {
    const { version, iv, tag, ciphertext } = parse(sealed)
    const key = keyring.keys.get(version)
    if (!key) {
      const known = [...keyring.keys.keys()].sort((a, b) => a - b).join(', ')
      throw new AppError(
        'CONFIG_INVALID',
        `A stored secret was sealed with key version ${version}, which is not configured (known versions: ${known}). ` +
          'Add it back to LEADRELAY_SECRET_KEY or the key file.',
        { field: 'LEADRELAY_SECRET_KEY', extra: { keyVersion: version } },
      )
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: tagLength })
      decipher.setAAD(additionalData(version, context))
      decipher.setAuthTag(tag)
      return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8')
    } catch (cause) {
      const error = new AppError(
        'CONFIG_INVALID',
        `A stored secret failed authentication with key version ${version}: the key for that version is not the one ` +
          'it was sealed with, the value was altered, or it belongs to another record',
        { extra: { keyVersion: version } },
      )
      error.cause = cause
      throw error
    }
  }

  return {
    seal,
    open,
    needsRotation: (sealed) => parse(sealed).version !== keyring.current,
    reseal: (sealed, context) => seal(open(sealed, context), context),
  }
}
