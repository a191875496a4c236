/** `--tenant <id or name>`, defaulting to the only tenant when there is exactly one. */

import { AppError } from '../core/errors.ts'
import type { Store, Tenant } from '../store/types.ts'

export const tenantOptionHelp = '--tenant <id|name>     tenant to act for (default: the only tenant, when there is one)'

export async function resolveTenant(store: Store, wanted: string | undefined): Promise<Tenant> {
  const tenants = await store.listTenants()
  const tenant = wanted
    ? tenants.find((t) => t.id === wanted || t.name === wanted)
    : tenants.length === 1
      ? tenants[0]
      : undefined
  if (!tenant) {
    const known =
      tenants.map((t) => `${t.name} (${t.id})`).join(', ') || 'none yet; run leadrelay tenants create <name>'
    throw new AppError('VALIDATION_FAILED', `Name a tenant with --tenant; known tenants: ${known}`, { field: 'tenant' })
  }
  return tenant
}

/** Who acts, for the audit log. */
export function cliActor(env: NodeJS.ProcessEnv): string {
  return `cli:${env.USER ?? env.USERNAME ?? 'unknown'}`
}
