/** Customer names for lists that only carry lead ids (deliveries), read from the API, never from the URL. */

import type { ApiClient } from '../api/client.ts'
import { customerName } from './format.ts'
import { useLoad } from './use-load.ts'

const cache = new Map<string, string>()

/** Drops the names kept in memory (on sign-out and tenant switch). */
export function forgetLeadNames(): void {
  cache.clear()
}

/** Names of up to `max` leads, `concurrency` requests at a time; a lead that cannot be read keeps its id. */
export async function loadLeadNames(
  getLead: ApiClient['getLead'],
  ids: readonly string[],
  { max = 100, concurrency = 6 } = {},
): Promise<ReadonlyMap<string, string>> {
  const wanted = [...new Set(ids)].filter((id) => !cache.has(id)).slice(0, max)
  let next = 0
  async function worker() {
    while (next < wanted.length) {
      const id = wanted[next++]!
      try {
        cache.set(id, customerName((await getLead(id)).customer))
      } catch {
        // Shown by id.
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, wanted.length) }, worker))
  return new Map(ids.filter((id) => cache.has(id)).map((id) => [id, cache.get(id)!]))
}

export function useLeadNames(api: ApiClient, ids: readonly string[]): ReadonlyMap<string, string> {
  const key = [...new Set(ids)].sort().join(',')
  const names = useLoad(`lead-names:${key}`, () => loadLeadNames(api.getLead, ids))
  return names.data ?? new Map()
}
