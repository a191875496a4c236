/** The HubSpot destination's settings. The private app access token is a secret (auth.ts), never a setting. */

import { z } from 'zod'
import { fieldMapOverrideSchema } from '../field-map.ts'

export const defaultHubSpotBaseUrl = 'https://api.hubapi.com'

/** HubSpot's own default lifecycle stages, in the order a contact moves through them. */
export const hubspotLifecycleOrder = [
  'subscriber',
  'lead',
  'marketingqualifiedlead',
  'salesqualifiedlead',
  'opportunity',
  'customer',
  'evangelist',
] as const

/**
 * Funnel stages that set a lifecycle stage; `unclassified` and `do_not_contact` never do. `customer` also stands for
 * a suspended or churned subscription: they were customers, and HubSpot's lifecycle stage does not move backwards.
 */
export const lifecycleFunnelStages = ['trial', 'initial_interest', 'active', 'customer'] as const
export type LifecycleFunnelStage = (typeof lifecycleFunnelStages)[number]

export const defaultLifecycleStages: Readonly<Record<LifecycleFunnelStage, string | null>> = {
  trial: 'lead',
  initial_interest: 'marketingqualifiedlead',
  active: 'salesqualifiedlead',
  customer: 'customer',
}

/** Properties the connector sets itself from settings; a configured property may not be one of these. */
export const reservedProperties = ['email', 'lifecyclestage', 'hs_lead_status'] as const

// HubSpot internal names: lower case, digits and underscores (custom properties cannot have upper case).
const propertyNamePattern = /^[a-z][a-z0-9_]{0,99}$/
const propertyName = z
  .string()
  .regex(
    propertyNamePattern,
    'Must be a HubSpot internal property name: lower-case letters, digits and underscores, starting with a letter',
  )

// Default stages are words; custom stages (Professional and up) have numeric internal values.
const optionValue = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,100}$/, 'Must be the internal value of a HubSpot option (letters, digits, _ or -)')

export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone })
    return true
  } catch {
    return false
  }
}

export const hubspotConfigSchema = z
  .strictObject({
    baseUrl: z
      .url({ protocol: /^https?$/, error: 'Must be an absolute http:// or https:// URL' })
      .max(2048)
      .default(defaultHubSpotBaseUrl)
      .meta({ title: 'API base URL', description: "HubSpot's API root. Leave the default, https://api.hubapi.com." }),
    timeoutMs: z.number().int().min(1000).max(30_000).default(15_000).meta({
      title: 'Timeout (ms)',
      description: 'How long one HubSpot call may take, in ms, before it counts as failed and is retried.',
    }),
    lifecycleStages: z
      .strictObject({
        trial: optionValue.nullable().default(defaultLifecycleStages.trial),
        initial_interest: optionValue.nullable().default(defaultLifecycleStages.initial_interest),
        active: optionValue.nullable().default(defaultLifecycleStages.active),
        customer: optionValue.nullable().default(defaultLifecycleStages.customer),
      })
      .prefault({})
      .meta({
        title: 'Lifecycle stage per funnel stage',
        description:
          "Lifecycle stage (internal value, Settings → Objects → Contacts → Lifecycle stage) per funnel stage; empty leaves the contact's lifecycle stage alone for that stage. The lead's furthest stage is sent, never a lower one.",
      }),
    leadStatus: optionValue.optional().meta({
      title: 'Lead status',
      description:
        'hs_lead_status sent with every delivery (e.g. NEW). Leave unset if your sales team maintains lead status: it would be overwritten on every update.',
    }),
    doNotContactLeadStatus: optionValue.optional().meta({
      title: 'Lead status for do-not-contact',
      description: 'hs_lead_status sent for a lead under a do-not-contact notice (e.g. UNQUALIFIED).',
    }),
    doNotContactProperty: propertyName.optional().meta({
      title: 'Do-not-contact property (internal name)',
      description:
        'A single checkbox contact property set to true while the lead is under a do-not-contact notice (Settings → Properties → the property → Internal name).',
    }),
    testLeadProperty: propertyName.optional().meta({
      title: 'Test lead property (internal name)',
      description: 'A single checkbox contact property set to true for test leads (MSFT_TEST and Leadrelay tests).',
    }),
    leadSourceProperty: propertyName.optional().meta({
      title: 'Lead source property (internal name)',
      description:
        'A text contact property that receives the raw LeadSource (e.g. AzureMarketplace-INS|publisher.offer).',
    }),
    historyProperty: propertyName.optional().meta({
      title: 'History property (internal name)',
      description: "A multi-line text contact property that receives the lead's history, one event per line.",
    }),
    accountTimeZone: z
      .string()
      .refine(isTimeZone, 'Must be an IANA time zone such as Europe/Berlin or America/New_York')
      .default('UTC')
      .meta({
        title: 'Account time zone',
        description:
          "Your HubSpot account's time zone (Settings → Account defaults → Time zone): the daily API limit resets at its midnight.",
      }),
    requestsPer10Seconds: z.number().int().min(1).max(500).default(80).meta({
      title: 'Requests per 10 seconds',
      description:
        'At most this many HubSpot calls per rolling 10 seconds from this destination (HubSpot allows 100 to 190 per account, shared by all its apps).',
    }),
    fieldMap: fieldMapOverrideSchema.meta({
      title: 'Field map changes',
      description:
        'Changes to the default property map: { "fields": { "<property>": mapping }, "omit": ["<property>"] }.',
    }),
  })
  .superRefine((config, context) => {
    const configured: [string, string | undefined][] = [
      ['doNotContactProperty', config.doNotContactProperty],
      ['testLeadProperty', config.testLeadProperty],
      ['leadSourceProperty', config.leadSourceProperty],
      ['historyProperty', config.historyProperty],
    ]
    const seen = new Map<string, string>()
    for (const [setting, name] of configured) {
      if (name === undefined) continue
      if ((reservedProperties as readonly string[]).includes(name)) {
        context.addIssue({ code: 'custom', path: [setting], message: `${name} is set by the connector itself` })
      } else if (seen.has(name)) {
        context.addIssue({ code: 'custom', path: [setting], message: `${name} is already used by ${seen.get(name)}` })
      }
      seen.set(name, setting)
    }
    for (const name of Object.keys(config.fieldMap?.fields ?? {})) {
      if (!propertyNamePattern.test(name)) {
        context.addIssue({
          code: 'custom',
          path: ['fieldMap', 'fields', name],
          message: 'Must be a HubSpot internal property name: lower-case letters, digits and underscores',
        })
      }
    }
    // A map that sends a lower default stage for a later funnel stage would ask HubSpot to move contacts backwards.
    let highest = -1
    let highestAt = ''
    for (const stage of lifecycleFunnelStages) {
      const value = config.lifecycleStages[stage]
      const rank = value === null ? -1 : hubspotLifecycleOrder.indexOf(value as (typeof hubspotLifecycleOrder)[number])
      if (rank < 0) continue
      if (rank < highest) {
        context.addIssue({
          code: 'custom',
          path: ['lifecycleStages', stage],
          message: `${value} comes before ${highestAt} in HubSpot's lifecycle; a later funnel stage must not map to an earlier lifecycle stage`,
        })
      }
      if (rank > highest) {
        highest = rank
        highestAt = value!
      }
    }
  })

export type HubSpotConfig = z.output<typeof hubspotConfigSchema>
