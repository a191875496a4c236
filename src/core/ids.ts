/** Sortable, unguessable identifiers: 48 bits of time then 80 random bits, Crockford base32 (the ULID layout). */

import { randomBytes, randomFillSync } from 'node:crypto'
import type { Clock } from './ports.ts'

const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'

export type IdPrefix =
  | 'tnt'
  | 'lead'
  | 'evt'
  | 'dst'
  | 'dlv'
  | 'att'
  | 'key'
  | 'itk'
  | 'aud'
  | 'arl'
  | 'ach'
  | 'alr'
  | 'asn'
  | 'per'
  | 'inv'
  | 'rly'

export interface IdGenerator {
  next(prefix: IdPrefix): string
}

/** Random bytes drawn from a pool refilled 4 KiB at a time: one syscall per ~400 ids instead of one per id. */
export function pooledRandomBytes(poolSize = 4096): (size: number) => Uint8Array {
  const pool = Buffer.allocUnsafe(poolSize)
  let offset = poolSize
  return (size) => {
    if (size > poolSize) return randomBytes(size)
    if (offset + size > poolSize) {
      randomFillSync(pool)
      offset = 0
    }
    // A copy: a caller must never see bytes that are later handed to someone else.
    const bytes = Uint8Array.prototype.slice.call(pool, offset, offset + size)
    offset += size
    return bytes
  }
}

export function createIdGenerator(
  clock: Clock,
  random: (size: number) => Uint8Array = pooledRandomBytes(),
): IdGenerator {
  return {
    next(prefix) {
      let time = clock.now()
      let timePart = ''
      for (let i = 0; i < 10; i++) {
        timePart = alphabet[time % 32] + timePart
        time = Math.floor(time / 32)
      }
      const bytes = random(10)
      let randomPart = ''
      let bits = 0
      let value = 0
      for (const byte of bytes) {
        value = (value << 8) | byte
        bits += 8
        while (bits >= 5) {
          bits -= 5
          randomPart += alphabet[(value >> bits) & 31]
        }
      }
      return `${prefix}_${timePart}${randomPart}`
    },
  }
}
