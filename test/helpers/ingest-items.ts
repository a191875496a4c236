/** Building what `Store.recordLeadEvents` takes, as the ingest service does, for store-level tests. */

import { hashCredential } from '../../src/core/credentials.ts'
import type { IdGenerator } from '../../src/core/ids.ts'
import { parseInboundLead } from '../../src/core/inbound.ts'
import { contentHashOf, interpretLead } from '../../src/core/lead.ts'
import type { Clock } from '../../src/core/ports.ts'
import type { IngestItem, Store } from '../../src/store/types.ts'

export interface ItemSource {
  readonly ids: IdGenerator
  readonly clock: Clock
}

/** Creates tenant "contoso" whose API key is `key-<id>` and ingest token `token-<id>`; returns its id. */
export async function createTestTenant(store: Store, { ids, clock }: ItemSource): Promise<string> {
  const tenantId = ids.next('tnt')
  await store.createTenant({
    id: tenantId,
    name: 'contoso',
    ingestTokenHash: hashCredential(`token-${tenantId}`),
    apiKey: { id: ids.next('key'), hash: hashCredential(`key-${tenantId}`), label: 'test' },
    createdAt: clock.now(),
  })
  return tenantId
}

/** An API-format body, parsed and interpreted, with fresh ids and the default 10-minute dedupe window. */
export function ingestItemOf(
  tenantId: string,
  body: Record<string, unknown>,
  { ids, clock }: ItemSource,
  extra: Partial<IngestItem> = {},
): IngestItem {
  return {
    tenantId,
    eventId: ids.next('evt'),
    newLeadId: ids.next('lead'),
    newDeliveryId: () => ids.next('dlv'),
    draft: interpretLead(parseInboundLead(body, 'api'), { receivedAt: clock.now() }),
    contentHash: contentHashOf('api', body),
    dedupeWindowMs: 600_000,
    ...extra,
  }
}
