/** What the domain and the services need from the outside world, passed in as arguments. */

/** Milliseconds since the epoch. Tests pass a controllable clock. */
export interface Clock {
  now(): number
}

export const systemClock: Clock = { now: () => Date.now() }

/** A clock tests move by hand. */
export function createManualClock(
  start = Date.UTC(2026, 0, 1),
): Clock & { advance(ms: number): void; set(ms: number): void } {
  let current = start
  return {
    now: () => current,
    advance: (ms) => {
      current += ms
    },
    set: (ms) => {
      current = ms
    },
  }
}

/** Encrypts secrets at rest. `context` binds a ciphertext to its row (e.g. the destination id). */
export interface SecretSealer {
  seal(plaintext: string, context?: string): string
  open(sealed: string, context?: string): string
}
