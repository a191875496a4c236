/**
 * Microsoft Teams through a Workflows webhook ("When a Teams webhook request is received", which replaced Office 365
 * connectors): a `message` whose attachment is an Adaptive Card, schema 1.5.
 * https://support.microsoft.com/office/create-incoming-webhooks-with-workflows-for-microsoft-teams-8ae491c7-0394-4861-ba59-055e33f75498
 * https://learn.microsoft.com/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using#send-adaptive-cards-using-an-incoming-webhook
 * https://adaptivecards.io/explorer/
 */

import { z } from 'zod'
import { type AlertMessage, alertFacts, alertTitle, truncate } from '../alert-message.ts'
import { postJson, webhookUrlSecret } from './post-json.ts'
import type { AlertChannel } from './types.ts'

export const teamsConfigSchema = z.object({}).strict()
export type TeamsConfig = z.infer<typeof teamsConfigSchema>

/** Teams cuts messages near 28 KB; a description this long is the customer's whole text already. */
const maxDescription = 4000

/** The Adaptive Card (1.5) the channel posts, inside its `message` envelope. */
export function teamsPayload(message: AlertMessage): unknown {
  const actions: unknown[] = [{ type: 'Action.OpenUrl', title: 'Open in Leadrelay', url: message.leadUrl }]
  if (message.crm) actions.push({ type: 'Action.OpenUrl', title: `Open in ${message.crm.name}`, url: message.crm.url })
  const body: unknown[] = [
    { type: 'TextBlock', text: alertTitle(message), weight: 'Bolder', size: 'Medium', wrap: true, style: 'heading' },
    { type: 'TextBlock', text: `Rule: ${message.ruleName}`, isSubtle: true, spacing: 'None', wrap: true },
    { type: 'FactSet', facts: alertFacts(message).map((fact) => ({ title: fact.label, value: fact.value })) },
  ]
  if (message.description) {
    body.push({ type: 'TextBlock', text: 'What they asked', weight: 'Bolder', wrap: true, separator: true })
    body.push({ type: 'TextBlock', text: truncate(message.description, maxDescription), wrap: true })
  }
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.5',
          body,
          actions,
        },
      },
    ],
  }
}

export const teamsChannel: AlertChannel<TeamsConfig> = {
  kind: 'teams',
  displayName: 'Microsoft Teams',
  configSchema: teamsConfigSchema,
  secretFields: [
    {
      name: 'webhookUrl',
      label: 'Workflow webhook URL',
      required: true,
      help: 'In Teams: the channel → Workflows → "Post to a channel when a webhook request is received"; copy the URL it shows.',
    },
  ],
  prepareSecrets: (given) =>
    webhookUrlSecret(given, 'Teams Workflows', 'https://….logic.azure.com/… or …powerplatform.com/…'),
  payload: teamsPayload,
  connect(_config, secrets, deps) {
    return {
      async send(message, signal) {
        const status = await postJson(deps, { url: secrets.webhookUrl ?? '', body: teamsPayload(message), signal })
        return { status }
      },
    }
  },
}
