/** Creating tenants and the default tenant on first start. */

import { credentialHint, generateCredential, hashCredential } from '../core/credentials.ts'
import type { IdGenerator } from '../core/ids.ts'
import type { Clock } from '../core/ports.ts'
import type { Store, Tenant } from '../store/types.ts'

export interface CreatedTenant {
  readonly tenant: Tenant
  /** Shown once; only its hash is stored. */
  readonly apiKey: string
  /** Shown once; the secret part of the Microsoft ingest URL. */
  readonly ingestToken: string
  readonly ingestUrl: string
}

export interface TenantServiceDeps {
  readonly store: Store
  readonly clock: Clock
  readonly ids: IdGenerator
  readonly publicUrl: string
}

export function ingestUrlOf(publicUrl: string, ingestToken: string): string {
  return `${publicUrl}/ingest/microsoft/${ingestToken}`
}

export async function createTenant(deps: TenantServiceDeps, name: string): Promise<CreatedTenant> {
  const apiKey = generateCredential('apiKey')
  const ingestToken = generateCredential('ingestToken')
  const tenant = await deps.store.createTenant({
    id: deps.ids.next('tnt'),
    name,
    ingestTokenHash: hashCredential(ingestToken),
    ingestTokenId: deps.ids.next('itk'),
    apiKey: {
      id: deps.ids.next('key'),
      hash: hashCredential(apiKey),
      label: 'created with the tenant',
      hint: credentialHint(apiKey),
    },
    createdAt: deps.clock.now(),
  })
  return { tenant, apiKey, ingestToken, ingestUrl: ingestUrlOf(deps.publicUrl, ingestToken) }
}

/** On a store without tenants, creates "default" so a fresh install works at once; otherwise does nothing. */
export async function ensureDefaultTenant(deps: TenantServiceDeps): Promise<CreatedTenant | undefined> {
  if ((await deps.store.countTenants()) > 0) return undefined
  return createTenant(deps, 'default')
}
