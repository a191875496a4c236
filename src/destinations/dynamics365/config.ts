/**
 * The Dynamics 365 / Dataverse destination's settings. The client secret is a secret (see `prepareDynamicsSecrets`),
 * never a setting: config is returned by the API, secrets are not.
 */

import { z } from 'zod'
import { AppError } from '../../core/errors.ts'
import { fieldMapOverrideSchema, requiredFieldPlaceholder } from '../field-map.ts'
import type { DestinationSecrets } from '../types.ts'

export const defaultAuthorityHost = 'https://login.microsoftonline.com'
export const defaultAlternateKeyColumn = 'leadrelay_leadid'
/** `leadsourcecode` option 8 is "Web" in a standard lead table. */
export const defaultLeadSourceCode = 8

export const matchModes = ['email', 'alternateKey'] as const

const guidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
// A verified domain of the tenant, e.g. contoso.onmicrosoft.com: Entra ID accepts it in place of the tenant GUID.
const domainPattern = /^(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i
// Dataverse logical names: lower case, a publisher prefix and an underscore for custom columns.
const logicalNamePattern = /^[a-z][a-z0-9_]{0,99}$/

export function isGuid(value: string): boolean {
  return guidPattern.test(value)
}

/** An absolute http(s) URL with nothing after the host: no path, query or fragment. */
function originUrl(example: string) {
  return z
    .url({ protocol: /^https?$/, error: `Must be an absolute https:// URL like ${example}` })
    .max(2048)
    .refine(
      (value) => {
        if (!URL.canParse(value)) return true // the url check above already reports it
        const url = new URL(value)
        return (url.pathname === '/' || url.pathname === '') && url.search === '' && url.hash === ''
      },
      { message: `Use the bare URL without a path, query or fragment, like ${example}` },
    )
}

export const dynamicsConfigSchema = z.strictObject({
  environmentUrl: originUrl('https://contoso.crm4.dynamics.com').meta({
    title: 'Environment URL',
    description:
      'The Dataverse environment URL, e.g. https://contoso.crm4.dynamics.com (Power Platform admin center → Manage → Environments → your environment → Environment URL).',
  }),
  tenantId: z
    .string()
    .trim()
    .refine((value) => guidPattern.test(value) || domainPattern.test(value), {
      message:
        'Must be the Directory (tenant) ID, a GUID like 72f988bf-86f1-41af-91ab-2d7cd011db47, or a verified domain like contoso.onmicrosoft.com',
    })
    .meta({
      title: 'Directory (tenant) ID',
      description:
        'The Microsoft Entra tenant where the app is registered: Microsoft Entra admin center → App registrations → your app → Overview → Directory (tenant) ID.',
    }),
  clientId: z
    .string()
    .trim()
    .regex(guidPattern, 'Must be the Application (client) ID of the app registration, a GUID')
    .meta({
      title: 'Application (client) ID',
      description:
        'Microsoft Entra admin center → App registrations → your app → Overview → Application (client) ID. The app needs an application user with a security role in the environment (Power Platform admin center → your environment → Settings → Users + permissions → Application users).',
    }),
  authorityHost: originUrl(defaultAuthorityHost).default(defaultAuthorityHost).meta({
    title: 'Microsoft Entra sign-in host',
    description:
      'Microsoft Entra ID sign-in host; change it only for a sovereign cloud (e.g. https://login.microsoftonline.us).',
  }),
  matchBy: z
    .enum(matchModes)
    .default('email')
    .meta({
      title: 'Match leads by',
      description:
        "How a lead finds its record: 'email' (the lead with the same emailaddress1) or 'alternateKey' (a column with an alternate key holding the Leadrelay lead id; strictly idempotent).",
      'x-enum-labels': { email: 'Email address', alternateKey: 'Alternate key column' },
    }),
  alternateKeyColumn: z
    .string()
    .regex(logicalNamePattern, 'Must be a column logical name: lower-case letters, digits and underscores')
    .default(defaultAlternateKeyColumn)
    .meta({
      title: 'Alternate key column (logical name)',
      description:
        'Logical name of the lead column with an alternate key (Power Apps → Tables → Lead → Keys), holding the Leadrelay lead id.',
      'x-when': { matchBy: ['alternateKey'] },
    }),
  leadSourceCode: z.number().int().min(0).max(2_147_483_647).nullable().default(defaultLeadSourceCode).meta({
    title: 'Lead Source option value',
    description:
      'Option value written to leadsourcecode (8 = Web in a standard table); empty (null) leaves the column alone.',
  }),
  timeoutMs: z
    .number()
    .int()
    .min(1000)
    .max(30_000)
    .default(10_000)
    .meta({ title: 'Timeout (ms)', description: 'How long one HTTP call to Entra ID or Dataverse may take, in ms.' }),
  fieldMap: fieldMapOverrideSchema.meta({
    title: 'Field map changes',
    description: 'Changes to the default lead field map: entries to add or replace, columns to omit.',
  }),
  requiredFieldPlaceholder: z.string().min(1).max(50).nullable().default(requiredFieldPlaceholder).meta({
    title: 'Placeholder for a missing last name',
    description:
      'Written to lastname (Last Name, required on the lead table) when the lead has no last name. Empty (null) sends nothing, and Dataverse may then refuse such leads.',
  }),
})

export type DynamicsConfig = z.output<typeof dynamicsConfigSchema>

/** The destination's one secret. A type, not an interface, so it is assignable to `DestinationSecrets`. */
export type DynamicsSecrets = { readonly clientSecret: string }

function invalid(key: string, message: string): AppError {
  return new AppError('VALIDATION_FAILED', message, { field: `secrets.${key}` })
}

/** Validates the secrets given when the destination is created or updated. Throws `AppError` naming the field. */
export function prepareDynamicsSecrets(given: Readonly<Record<string, unknown>> | undefined): DynamicsSecrets {
  const secrets = given ?? {}
  for (const key of Object.keys(secrets)) {
    if (key !== 'clientSecret')
      throw invalid(key, `Unknown secret ${key}; a Dynamics 365 destination takes clientSecret`)
  }
  const value = secrets.clientSecret
  if (typeof value !== 'string' || value.trim() === '') {
    throw invalid(
      'clientSecret',
      'clientSecret is required: create one under App registrations → your app → Certificates & secrets and paste its Value',
    )
  }
  const clientSecret = value.trim()
  if (isGuid(clientSecret)) {
    // The most common mix-up: the portal shows a "Secret ID" (a GUID) right beside the secret's Value.
    throw invalid(
      'clientSecret',
      'clientSecret looks like a Secret ID (a GUID). Paste the Value column of the client secret instead; it is only shown right after the secret is created',
    )
  }
  if (clientSecret.length > 1024) throw invalid('clientSecret', 'clientSecret is longer than 1024 characters')
  return { clientSecret }
}

/** The stored client secret, or undefined when there is none (it should never be missing). */
export function clientSecretOf(secrets: DestinationSecrets): string | undefined {
  const value = secrets.clientSecret
  return typeof value === 'string' && value !== '' ? value : undefined
}
