/** Every alert channel kind, registered explicitly. */

import { AppError } from '../../core/errors.ts'
import { emailChannel } from './email.ts'
import { slackChannel } from './slack.ts'
import { teamsChannel } from './teams.ts'
import type { AlertChannel, AlertChannelKind } from './types.ts'
import { alertWebhookChannel } from './webhook.ts'

export const alertChannelRegistry: Readonly<Record<AlertChannelKind, AlertChannel<any>>> = {
  teams: teamsChannel,
  slack: slackChannel,
  email: emailChannel,
  webhook: alertWebhookChannel,
}

export function alertChannelOfKind(kind: string): AlertChannel<any> {
  const channel = Object.hasOwn(alertChannelRegistry, kind) ? alertChannelRegistry[kind as AlertChannelKind] : undefined
  if (!channel) {
    throw new AppError(
      'VALIDATION_FAILED',
      `Unknown alert channel kind "${kind}"; one of: ${Object.keys(alertChannelRegistry).join(', ')}`,
      { field: 'kind' },
    )
  }
  return channel
}
