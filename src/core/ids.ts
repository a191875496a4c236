/** Sortable, unguessable identifiers: 48 bits of time then 80 random bits, Crockford base32 (the ULID layout). */

import { randomBytes } from 'node:crypto'
import type { Clock } from './ports.ts'

const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'

export type IdPrefix = 'tnt' | 'lead' | 'evt' | 'dst' | 'dlv' | 'att' | 'key' | 'aud'

export interface IdGenerator {
  next(prefix: IdPrefix): string
}

export function createIdGenerator(clock: Clock, random: (size: number) => Uint8Array = randomBytes): IdGenerator {
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
