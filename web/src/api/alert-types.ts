/**
 * The alerts API as the portal sees it (src/http/routes/alerts.ts), taken from the generated API types. Secrets are
 * write-only: never read back.
 */

import { type Answer, funnelSteps, type JsonSchema, type Refine, type RequestBody, type Schemas } from './types.ts'

export type AlertRule = Schemas['AlertRule']

export type AlertCriteria = AlertRule['criteria']

/** The stages a rule can wait for: the funnel's steps (as on the server, `core/alert-rules.ts`). */
export const alertStages = funnelSteps satisfies readonly AlertCriteria['stage'][]
export type AlertStage = AlertCriteria['stage']

export type AlertRuleInput = RequestBody<'createAlertRule'>

/** A channel kind; its settings' JSON Schema is read as one (the document types it as any object). */
export type AlertChannelKind = Refine<Schemas['AlertChannelKind'], 'configSchema', JsonSchema>

export type AlertChannel = Refine<Schemas['AlertChannel'], 'config', Readonly<Record<string, unknown>>>

export type AlertChannelInput = RequestBody<'createAlertChannel'>

/** Generated secrets come back once, on creation. */
export type CreatedAlertChannel = Refine<Answer<'createAlertChannel', 201>, 'config', Readonly<Record<string, unknown>>>

export type AlertTestResult = Schemas['AlertTestResult']

export type AlertSend = Schemas['AlertSend']

export type DigestSettings = Schemas['DigestSettings']
