/** Erasing a customer (GDPR Art. 17), shared by the API and the CLI: see docs/privacy.md. */

import { isValidEmail } from '../core/customer.ts'
import { AppError } from '../core/errors.ts'
import type { IdGenerator } from '../core/ids.ts'
import type { Clock } from '../core/ports.ts'
import type { ErasureResult } from '../store/privacy-queries.ts'
import type { Store } from '../store/types.ts'

export interface CustomerErasureDeps {
  readonly store: Store
  readonly clock: Clock
  readonly ids: IdGenerator
}

/**
 * Erases every lead of the customer with this email in the tenant, in every offer, and queues a deletion at every
 * destination holding one of them. Erasing an address with no leads still records the tombstone, so the customer's
 * events are refused should they arrive later from an old export or a replay.
 */
export async function eraseCustomer(
  deps: CustomerErasureDeps,
  request: { readonly tenantId: string; readonly email: string; readonly actor: string },
): Promise<ErasureResult> {
  const email = request.email.trim().toLowerCase()
  if (!isValidEmail(email))
    throw new AppError('VALIDATION_FAILED', 'email must be an email address', { field: 'email' })
  return deps.store.eraseCustomer({
    tenantId: request.tenantId,
    email,
    actor: request.actor,
    now: deps.clock.now(),
    auditId: deps.ids.next('aud'),
    newDeliveryId: () => deps.ids.next('dlv'),
  })
}
