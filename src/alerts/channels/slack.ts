/**
 * Slack through an incoming webhook, with Block Kit: a header, the facts as section fields, the description, and
 * buttons. Limits from https://api.slack.com/reference/block-kit/blocks and
 * https://api.slack.com/reference/block-kit/block-elements#button: header text 150, section text 3000, at most 10
 * fields of 2000 each, 50 blocks per message, button text 75, button URL 3000. Posting:
 * https://api.slack.com/messaging/webhooks
 */

import { z } from 'zod'
import { type AlertMessage, alertFacts, alertTitle } from '../alert-message.ts'
import { postJson, webhookUrlSecret } from './post-json.ts'
import type { AlertChannel } from './types.ts'

export const slackConfigSchema = z.object({}).strict()
export type SlackConfig = z.infer<typeof slackConfigSchema>

export const slackLimits = {
  headerText: 150,
  sectionText: 3000,
  fields: 10,
  fieldText: 2000,
  blocks: 50,
  buttonText: 75,
  buttonUrl: 3000,
} as const

/** Slack's mrkdwn takes `&`, `<` and `>` as control characters; text from customers must not make links or mentions. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/**
 * Cuts to at most `max` UTF-16 units (never more characters than Slack counts), ending in an ellipsis when cut,
 * without splitting a surrogate pair.
 */
export function cut(text: string, max: number): string {
  if (text.length <= max) return text
  let kept = text.slice(0, max - 1)
  if (/[\uD800-\uDBFF]$/.test(kept)) kept = kept.slice(0, -1)
  return `${kept}…`
}

/** Escapes, then cuts without leaving half an entity at the end. */
function mrkdwn(text: string, max: number): string {
  const escaped = escapeMrkdwn(text)
  if (escaped.length <= max) return escaped
  let kept = cut(escaped, max).slice(0, -1)
  const amp = kept.lastIndexOf('&')
  if (amp >= 0 && !kept.slice(amp).includes(';')) kept = kept.slice(0, amp)
  return `${kept}…`
}

function button(text: string, url: string, actionId: string): unknown | undefined {
  // A URL past the limit cannot be cut and still work: no button rather than a broken one.
  if (url.length > slackLimits.buttonUrl) return undefined
  return {
    type: 'button',
    text: { type: 'plain_text', text: cut(text, slackLimits.buttonText) },
    url,
    action_id: actionId,
  }
}

export function slackPayload(message: AlertMessage): unknown {
  const fields = alertFacts(message)
    .slice(0, slackLimits.fields)
    .map((fact) => ({
      type: 'mrkdwn',
      text: `*${fact.label}*\n${mrkdwn(fact.value, slackLimits.fieldText - fact.label.length - 3)}`,
    }))
  const blocks: unknown[] = [
    { type: 'header', text: { type: 'plain_text', text: cut(alertTitle(message), slackLimits.headerText) } },
    {
      type: 'context',
      elements: [{ type: 'mrkdwn', text: mrkdwn(`Rule: ${message.ruleName}`, slackLimits.sectionText) }],
    },
    { type: 'section', fields },
  ]
  if (message.description) {
    const label = '*What they asked*\n'
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: label + mrkdwn(message.description, slackLimits.sectionText - label.length) },
    })
  }
  const buttons = [
    button('Open in Leadrelay', message.leadUrl, 'open_lead'),
    message.crm ? button(`Open in ${message.crm.name}`, message.crm.url, 'open_crm') : undefined,
  ].filter((element) => element !== undefined)
  if (buttons.length > 0) blocks.push({ type: 'actions', elements: buttons })
  // `text` is the notification and screen-reader fallback when blocks are present.
  return { text: mrkdwn(alertTitle(message), slackLimits.sectionText), blocks }
}

export const slackChannel: AlertChannel<SlackConfig> = {
  kind: 'slack',
  displayName: 'Slack',
  configSchema: slackConfigSchema,
  secretFields: [
    {
      name: 'webhookUrl',
      label: 'Incoming webhook URL',
      required: true,
      help: 'api.slack.com/apps → your app → Incoming Webhooks → "Add New Webhook to Workspace"; copy the URL.',
    },
  ],
  prepareSecrets: (given) => webhookUrlSecret(given, 'Slack incoming', 'https://hooks.slack.com/services/…'),
  payload: slackPayload,
  connect(_config, secrets, deps) {
    return {
      async send(message, signal) {
        const status = await postJson(deps, { url: secrets.webhookUrl ?? '', body: slackPayload(message), signal })
        return { status }
      },
    }
  },
}
