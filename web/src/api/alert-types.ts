/** The alerts API as the portal sees it (src/http/routes/alerts.ts). Secrets are write-only: never read back. */

export const alertStages = ['trial', 'initial_interest', 'active', 'customer', 'churned'] as const
export type AlertStage = (typeof alertStages)[number]

export interface AlertCriteria {
  readonly offers: readonly string[]
  readonly stage: AlertStage
  readonly sources: readonly string[]
  readonly countries: readonly string[]
  readonly includeTest: boolean
}

export interface AlertRule {
  readonly id: string
  readonly name: string
  readonly enabled: boolean
  readonly criteria: AlertCriteria
  readonly channelIds: readonly string[]
}

export type AlertRuleInput = Omit<AlertRule, 'id'>

export interface AlertSecretField {
  readonly name: string
  readonly label: string
  readonly required: boolean
  readonly generated?: boolean
  readonly help?: string
}

export interface AlertChannelKind {
  readonly kind: string
  readonly displayName: string
  readonly configSchema: {
    readonly properties?: Readonly<Record<string, { type?: string; description?: string; items?: unknown }>>
    readonly required?: readonly string[]
  }
  readonly secretFields: readonly AlertSecretField[]
}

export interface AlertChannel {
  readonly id: string
  readonly kind: string
  readonly name: string
  readonly config: Readonly<Record<string, unknown>>
  readonly hasSecrets: boolean
  readonly createdAt: string
  readonly updatedAt: string
}

export interface AlertChannelInput {
  readonly kind: string
  readonly name: string
  readonly config: Readonly<Record<string, unknown>>
  readonly secrets?: Readonly<Record<string, string>>
}

/** Generated secrets come back once, on creation. */
export type CreatedAlertChannel = AlertChannel & { readonly secrets?: Readonly<Record<string, string>> }

export interface AlertTestResult {
  readonly channelId: string
  readonly name: string
  readonly kind: string
  readonly ok: boolean
  readonly status?: number
  readonly failureKind?: string
  readonly reason?: string
}

export interface AlertSend {
  readonly id: string
  readonly ruleId: string
  readonly ruleName: string | null
  readonly channelId: string
  readonly channelName: string | null
  readonly leadId: string
  readonly stage: string
  readonly state: 'queued' | 'in_flight' | 'delivered' | 'dead'
  readonly attempts: number
  readonly firedAt: string
  readonly nextAttemptAt: string | null
  readonly sentAt: string | null
  readonly lastError: string | null
  readonly lastStatus: number | null
}

export interface DigestSettings {
  readonly frequency: 'daily' | 'weekly' | 'off'
  readonly emails: readonly string[]
}
