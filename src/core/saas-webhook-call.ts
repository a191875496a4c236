/**
 * A SaaS fulfillment webhook call as Microsoft sends it: what Leadrelay reads of its body, and what it keeps of it
 * once the call is settled. The body names the subscription's purchaser and beneficiary (their e-mail addresses among
 * them); it is relayed unchanged, and afterwards only its action is kept, which is all the relay's log shows.
 */

/** The call's `action` (Subscribe, ChangePlan, Unsubscribe …), when the body is JSON and has one. */
export function saasWebhookActionOf(body: string): string | undefined {
  try {
    const action = (JSON.parse(body) as { action?: unknown } | null)?.action
    return typeof action === 'string' ? action.slice(0, 100) : undefined
  } catch {
    return undefined
  }
}

/** What a settled call keeps of its body: its action alone, as JSON (`{}` when it had none). */
export function settledSaasWebhookBody(body: string): string {
  const action = saasWebhookActionOf(body)
  return JSON.stringify(action === undefined ? {} : { action })
}
