/** Privacy in the API: retention settings and a customer's erasure (docs/privacy.md), from the generated API types. */

import type { RequestBody, Schemas } from './types.ts'

/** How long attempts, idle leads' events and audit entries are kept (`PUT /v1/tenant/retention`). */
export type RetentionValues = RequestBody<'setRetention'>

/** The values in force, the defaults and the limits; `updatedAt` is absent while the defaults apply. */
export type RetentionSettings = Schemas['RetentionSettings']

/** The keyed hash of the email the tombstone keeps, the leads erased and the deletions queued at destinations. */
export type ErasureResult = Schemas['ErasureResult']
