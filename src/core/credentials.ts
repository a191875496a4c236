/** API keys and ingest tokens: random, shown once, stored only as a SHA-256 hash. */

import { createHash, randomBytes } from 'node:crypto'

/**
 * `lr_key_…` for API keys, `lr_in_…` for the ingest token in the Microsoft URL, `lr_saas_…` for the token in a SaaS
 * webhook relay URL.
 */
export type CredentialKind = 'apiKey' | 'ingestToken' | 'relayToken'

const prefixes: Readonly<Record<CredentialKind, string>> = {
  apiKey: 'lr_key_',
  ingestToken: 'lr_in_',
  relayToken: 'lr_saas_',
}

export function generateCredential(kind: CredentialKind, random: (size: number) => Uint8Array = randomBytes): string {
  return prefixes[kind] + Buffer.from(random(24)).toString('base64url')
}

/** 192 random bits need no slow hash: SHA-256 is enough and keeps the lookup by hash cheap. */
export function hashCredential(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url')
}

/** The prefix and the first four random characters: enough to tell keys apart, too little to guess the rest. */
export function credentialHint(secret: string): string {
  const prefix = Object.values(prefixes).find((candidate) => secret.startsWith(candidate)) ?? ''
  return `${secret.slice(0, prefix.length + 4)}…`
}
