/**
 * The Marketo destination's settings. The Client ID and Client Secret are secrets, validated in `prepareMarketoSecrets`
 * (never here), so they never land in the stored config.
 */

import { z } from 'zod'
import { AppError } from '../../core/errors.ts'
import { fieldMapOverrideSchema, resolveFieldMap } from '../field-map.ts'
import type { DestinationSecrets } from '../types.ts'
import { marketoDefaultFieldMap } from './field-map.ts'

/** Marketo REST API field names: camelCase standard fields, custom fields by API name (`My_Field__c` when CRM-synced). */
export const marketoFieldNamePattern = /^[A-Za-z_][A-Za-z0-9_]{0,254}$/

const fieldName = z
  .string()
  .regex(marketoFieldNamePattern, 'Must be a Marketo REST API field name, e.g. "leadrelaySource" (letters, digits, _)')

export const syncActions = ['createOrUpdate', 'createOnly', 'updateOnly'] as const

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name })
    return true
  } catch {
    return false
  }
}

export const marketoConfigSchema = z
  .strictObject({
    munchkinId: z
      .string()
      .regex(/^\d{3}-[A-Za-z]{3}-\d{3}$/, 'A Munchkin ID looks like 123-ABC-456 (Admin > Munchkin)')
      .optional()
      .meta({
        title: 'Munchkin ID',
        description:
          'Your Marketo instance, e.g. 123-ABC-456 (Admin → Integration → Munchkin → Munchkin Account ID). The REST API is then https://<Munchkin ID>.mktorest.com. Give this or the REST API Endpoint.',
      }),
    restUrl: z
      .url({ protocol: /^https?$/, error: 'Must be an absolute https:// (or http://) URL' })
      .max(2048)
      .optional()
      .meta({
        title: 'REST API Endpoint',
        description:
          'Instead of the Munchkin ID: Admin → Integration → Web Services → REST API → Endpoint, e.g. https://123-ABC-456.mktorest.com/rest. The Identity Endpoint shown beside it (…/identity) is derived from it.',
      }),
    lookupField: fieldName.default('email').meta({
      title: 'Lookup field',
      description: 'The field Marketo de-duplicates people on (Sync Leads lookupField). Default email.',
    }),
    action: z
      .enum(syncActions)
      .default('createOrUpdate')
      .meta({
        title: 'Sync action',
        description:
          'Sync Leads action: createOrUpdate (default), createOnly (never touch existing people) or updateOnly (only update people already in Marketo). createDuplicate is not offered: it would create a person per retry.',
        'x-enum-labels': {
          createOrUpdate: 'Create or update',
          createOnly: 'Create only (never touch existing people)',
          updateOnly: 'Update only (people already in Marketo)',
        },
      }),
    partitionName: z.string().min(1).max(255).optional().meta({
      title: 'Lead partition',
      description:
        'Lead partition new people are created in (Admin → Workspaces & Partitions → Person Partitions); default partition if left out.',
    }),
    leadSource: z
      .string()
      .min(1)
      .max(255)
      .default('Azure Marketplace')
      .meta({ title: 'Lead Source', description: "The value written to Marketo's Lead Source field." }),
    sourceDetailField: fieldName.optional().meta({
      title: 'Source detail field (REST API name)',
      description:
        'A custom text field that receives the raw marketplace lead source and stage, e.g. "AzureMarketplace-INS|contoso.crm (initial_interest)" (Admin → Field Management). None by default.',
    }),
    marketingSuspendedOnDoNotContact: z.boolean().default(false).meta({
      title: 'Marketing Suspended on do-not-contact',
      description: 'Also set Marketing Suspended on do-not-contact leads (Unsubscribed is always set).',
    }),
    testLeadField: fieldName.optional().meta({
      title: 'Test lead field (REST API name)',
      description:
        'A custom Boolean field set to true on marketplace test leads (MSFT_TEST), so smart lists can skip them.',
    }),
    quotaResetTimeZone: z
      .string()
      .refine(isTimeZone, 'Must be an IANA time zone, e.g. America/Chicago')
      .default('UTC')
      .meta({
        title: 'Quota reset time zone',
        description:
          'When the daily API quota resets (midnight in this zone); Marketo resets at midnight US Central for most subscriptions: set America/Chicago. Default UTC.',
      }),
    timeoutMs: z.number().int().min(1000).max(30_000).default(15_000).meta({
      title: 'Timeout (ms)',
      description: 'How long one call to Marketo may take, in ms, before it counts as failed and is retried.',
    }),
    fieldMap: fieldMapOverrideSchema.meta({
      title: 'Field map changes',
      description:
        'Changes to the default field map: { "fields": { "<Marketo field>": { "from": "..." } }, "omit": ["phone"] }.',
    }),
  })
  .superRefine((config, context) => {
    if (config.munchkinId === undefined && config.restUrl === undefined) {
      context.addIssue({
        code: 'custom',
        path: ['munchkinId'],
        message: 'Give munchkinId (e.g. 123-ABC-456) or restUrl (Admin > Web Services > REST API)',
      })
    }
    for (const name of Object.keys(config.fieldMap?.fields ?? {})) {
      if (!marketoFieldNamePattern.test(name)) {
        context.addIssue({
          code: 'custom',
          path: ['fieldMap', 'fields', name],
          message: 'Not a Marketo REST API field name (letters, digits and _ only)',
        })
      }
    }
    const mapped = resolveFieldMap(marketoDefaultFieldMap(config), config.fieldMap)
    if (!(config.lookupField in mapped)) {
      context.addIssue({
        code: 'custom',
        path: ['lookupField'],
        message: `The field map sends no "${config.lookupField}": map it in fieldMap.fields or choose another lookupField`,
      })
    }
    if (config.lookupField === 'id' && config.action !== 'updateOnly') {
      context.addIssue({
        code: 'custom',
        path: ['lookupField'],
        message: 'Marketo accepts lookupField "id" only with action updateOnly',
      })
    }
    if (config.partitionName !== undefined && config.action === 'updateOnly') {
      context.addIssue({
        code: 'custom',
        path: ['partitionName'],
        message: 'Marketo takes partitionName only with createOrUpdate or createOnly',
      })
    }
  })

export type MarketoConfig = z.output<typeof marketoConfigSchema>

/** The REST base (no trailing slash, no `/rest`): from `restUrl` when given, else from the Munchkin ID. */
export function marketoBaseUrl(config: Pick<MarketoConfig, 'munchkinId' | 'restUrl'>): string {
  if (config.restUrl !== undefined) return config.restUrl.replace(/\/+$/, '').replace(/\/rest$/, '')
  return `https://${config.munchkinId}.mktorest.com`
}

// A type, not an interface, so it is assignable to `DestinationSecrets` (a record of strings).
export type MarketoSecrets = { readonly clientId: string; readonly clientSecret: string }

const secretKeys = ['clientId', 'clientSecret'] as const

function invalid(key: string, message: string): AppError {
  return new AppError('VALIDATION_FAILED', message, { field: `secrets.${key}` })
}

/**
 * Validates the custom service's credentials (Admin > Integration > LaunchPoint > View Details). Messages never echo
 * what was given.
 */
export function prepareMarketoSecrets(given: Readonly<Record<string, unknown>> | undefined): MarketoSecrets {
  const secrets = given ?? {}
  for (const key of Object.keys(secrets)) {
    if (!(secretKeys as readonly string[]).includes(key)) {
      throw invalid(key, `Unknown secret ${key}; Marketo takes clientId and clientSecret`)
    }
  }
  const read = (key: (typeof secretKeys)[number]): string => {
    const value = secrets[key]
    if (value === undefined || value === null || value === '') {
      throw invalid(
        key,
        `${key} is required: copy it from Admin > Integration > LaunchPoint > your custom service > View Details`,
      )
    }
    if (typeof value !== 'string' || !/^[\x21-\x7e]{1,512}$/.test(value.trim())) {
      throw invalid(key, `${key} must be the text shown in LaunchPoint (printable characters, no spaces)`)
    }
    return value.trim()
  }
  return { clientId: read('clientId'), clientSecret: read('clientSecret') }
}

/** The stored secrets, or undefined when they are unusable (they never should be: `prepareSecrets` checked them). */
export function storedMarketoSecrets(secrets: DestinationSecrets): MarketoSecrets | undefined {
  const { clientId, clientSecret } = secrets
  return clientId && clientSecret ? { clientId, clientSecret } : undefined
}
