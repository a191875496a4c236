/** The alert channel contract: one module per kind in this folder, registered in registry.ts. */

import type { z } from 'zod'
import type { Clock } from '../../core/ports.ts'
import type { HttpClient } from '../../destinations/http-client.ts'
import type { DestinationSecrets, SecretField } from '../../destinations/types.ts'
import type { Mailer } from '../../notifications/mailer.ts'
import type { AlertMessage } from '../alert-message.ts'

export const alertChannelKinds = ['teams', 'slack', 'email', 'webhook'] as const
export type AlertChannelKind = (typeof alertChannelKinds)[number]

export interface AlertChannelDeps {
  readonly http: HttpClient
  readonly clock: Clock
  /** Absent when no SMTP server is configured. */
  readonly mailer?: Mailer
}

export interface AlertSendReceipt {
  readonly status?: number
}

/** A channel bound to one configuration. `send` throws `DeliveryError` (core/errors.ts) and nothing else. */
export interface AlertSender {
  send(message: AlertMessage, signal: AbortSignal): Promise<AlertSendReceipt>
}

export interface AlertChannel<Config = unknown> {
  readonly kind: AlertChannelKind
  readonly displayName: string
  readonly configSchema: z.ZodType<Config>
  readonly secretFields: readonly SecretField[]
  /** Validates secrets (on update, given ones replace stored ones); may generate some (a signing secret). */
  prepareSecrets(
    given: Readonly<Record<string, unknown>> | undefined,
    random: (size: number) => Uint8Array,
  ): DestinationSecrets
  /** The exact body the channel would send. */
  payload(message: AlertMessage, config: Config): unknown
  /** Binds the channel; no I/O. */
  connect(config: Config, secrets: DestinationSecrets, deps: AlertChannelDeps): AlertSender
}
