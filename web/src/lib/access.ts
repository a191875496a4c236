/**
 * What the signed-in person (or API key) may do, so pages show only that. The API refuses the rest anyway
 * (403 FORBIDDEN); hiding is for clarity, not safety.
 */

import { createContext, useContext } from 'react'
import type { Role, Tenant } from '../api/types.ts'

const order: readonly Role[] = ['viewer', 'editor', 'admin', 'owner']

/** A person's role, or what a key's scopes amount to: admin can do everything, read only reads. */
export function roleOf(tenant: Tenant | undefined): Role {
  if (tenant?.person) return tenant.person.role
  if (!tenant?.key) return 'owner'
  return tenant.key.scopes.includes('admin') ? 'owner' : 'viewer'
}

export function holds(held: Role, needed: Role): boolean {
  return order.indexOf(held) >= order.indexOf(needed)
}

export const AccessContext = createContext<Role>('owner')

/** True when the signed-in role holds `needed`. */
export function useCan(needed: Role): boolean {
  return holds(useContext(AccessContext), needed)
}

/** The signed-in role (what an API key's scopes amount to, for a key). */
export function useRole(): Role {
  return useContext(AccessContext)
}

/** Why a control is missing, in a sentence: "Your role is viewer: changing offers needs editor or above." */
export function roleReason(held: Role, needed: Role, what: string): string {
  return `Your role is ${held}: ${what} needs ${needed}${needed === 'owner' ? '' : ' or above'}.`
}
