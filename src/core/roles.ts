/** What a person may do in a tenant. Each role holds every role before it in `roles`. */

export const roles = ['viewer', 'editor', 'admin', 'owner'] as const

/**
 * - `viewer`: reads everything;
 * - `editor`: also configures offers, replays deliveries and edits alert rules;
 * - `admin`: also destinations, routes, notification contacts, API keys, ingest URLs and people;
 * - `owner`: also makes and removes owners.
 */
export type Role = (typeof roles)[number]

export function isRole(text: string): text is Role {
  return (roles as readonly string[]).includes(text)
}

/** True when a person holding `held` may call a route that needs `needed`. */
export function grantsRole(held: Role, needed: Role): boolean {
  return roles.indexOf(held) >= roles.indexOf(needed)
}

/** A stored role column; an unknown word (a later version's role) reads as the least, never as more. */
export function parseRole(column: string): Role {
  return isRole(column) ? column : 'viewer'
}
