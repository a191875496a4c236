/**
 * The Salesforce destination's settings: the REST API mode (OAuth 2.0, idempotent upserts) or the Web-to-Lead mode
 * (a form post, no credentials). Secrets (client secret, private key) are not settings: see auth.ts.
 */

import { z } from 'zod'
import { fieldMapOverrideSchema } from '../field-map.ts'

/** The REST API version every call uses unless the destination names another (Spring '24; v46.0+ is required). */
export const defaultApiVersion = '60.0'
export const defaultExternalIdField = 'Leadrelay_Id__c'
export const defaultLeadSource = 'Azure Marketplace'
export const defaultPlaceholder = '[not provided]'
export const defaultWebToLeadUrl = 'https://webto.salesforce.com/servlet/servlet.WebToLead?encoding=UTF-8'

/** Hosts that serve every org: the client credentials flow refuses them (it needs the org's My Domain). */
const sharedLoginHosts = new Set(['login.salesforce.com', 'test.salesforce.com'])

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '127.0.0.1' || hostname === '[::1]'
}

/** An https origin; http only on loopback (local fakes), since these requests carry credentials and customer data. */
const originUrl = z
  .url({ protocol: /^https?$/, error: 'Must be an absolute https:// URL' })
  .max(2048)
  .refine((text) => {
    const url = new URL(text)
    return url.protocol === 'https:' || isLoopback(url.hostname)
  }, 'Must use https://')

const loginUrl = originUrl.refine((text) => {
  const url = new URL(text)
  return (url.pathname === '/' || url.pathname === '') && url.search === '' && url.hash === ''
}, 'Give the bare address, e.g. https://acme.my.salesforce.com (no path)')

const apiNamePattern = /^[A-Za-z][A-Za-z0-9_]*$/

/** An API name: `LastName`, `Leadrelay_Id__c`, `ns__Field__c`. */
export const fieldApiName = z
  .string()
  .max(80)
  .regex(apiNamePattern, 'Must be a field API name such as Description or Marketplace_Source__c')

const timeoutMs = z
  .number()
  .int()
  .min(1000)
  .max(30_000)
  .default(15_000)
  .describe('How long one request may take, in ms, before it counts as failed and is retried.')

const requiredFieldPlaceholder = z
  .string()
  .min(1)
  .max(40)
  .nullable()
  .default(defaultPlaceholder)
  .describe(
    'Written to LastName and Company (last_name and company in Web-to-Lead) when the lead has no value, since Salesforce requires both. null sends nothing, and Salesforce rejects such leads.',
  )

export const salesforceApiConfigSchema = z
  .strictObject({
    mode: z
      .literal('api')
      .default('api')
      .describe("'api' (REST API with OAuth, upserts) or 'web-to-lead' (form post, no credentials)."),
    loginUrl: loginUrl.describe(
      "Where tokens come from: your org's My Domain, e.g. https://acme.my.salesforce.com (for the JWT flow also https://login.salesforce.com or https://test.salesforce.com).",
    ),
    authFlow: z
      .enum(['client_credentials', 'jwt_bearer'])
      .default('client_credentials')
      .describe(
        "'client_credentials' (secrets clientId + clientSecret) or 'jwt_bearer' (secrets clientId + privateKey, config username).",
      ),
    username: z
      .string()
      .min(3)
      .max(255)
      .optional()
      .describe('JWT bearer flow only: the Salesforce username of the integration user (the JWT subject).'),
    jwtAudience: originUrl
      .optional()
      .describe(
        'JWT bearer flow only: the `aud` claim. Default https://test.salesforce.com for sandboxes (loginUrl on test.salesforce.com or *.sandbox.my.salesforce.com), else https://login.salesforce.com.',
      ),
    apiVersion: z
      .string()
      .regex(/^\d{2,3}\.0$/, 'Must look like 60.0')
      .refine((version) => Number(version) >= 46, 'Must be 46.0 or later (upserts by external id in batches)')
      .default(defaultApiVersion)
      .describe('REST API version, e.g. 60.0.'),
    matchBy: z
      .enum(['externalId', 'email'])
      .default('externalId')
      .describe(
        "'externalId' upserts on a custom External ID field holding Leadrelay's lead id (recommended); 'email' looks the lead up by email with SOQL, for orgs that cannot add that field.",
      ),
    externalIdField: fieldApiName
      .default(defaultExternalIdField)
      .describe('matchBy externalId: the Lead field (Text, External ID, Unique) that holds the Leadrelay lead id.'),
    leadSource: z
      .string()
      .min(1)
      .max(255)
      .nullable()
      .default(defaultLeadSource)
      .describe(
        'The LeadSource picklist value written on every lead; null leaves LeadSource alone. Must be a value of the picklist when it is restricted.',
      ),
    sourceField: fieldApiName
      .nullable()
      .default('Description')
      .describe(
        "Text field receiving the raw marketplace lead source ('AzureMarketplace-INS|publisher.offer'). 'Description' appends it to the description; null writes it nowhere.",
      ),
    requiredFieldPlaceholder,
    assignmentRule: z
      .union([
        z.enum(['active', 'none']),
        z.string().regex(/^01Q[A-Za-z0-9]{12}([A-Za-z0-9]{3})?$/, 'Must be an AssignmentRule id (01Q…)'),
      ])
      .default('active')
      .describe(
        "Lead assignment (Sforce-Auto-Assign): 'active' runs the active assignment rule on every create and update (Salesforce's default), 'none' runs none, an AssignmentRule id (01Q…) runs that rule on creates only.",
      ),
    allowSaveOnDuplicate: z
      .boolean()
      .default(false)
      .describe(
        "Sends Sforce-Duplicate-Rule-Header allowSave=true, so duplicate rules whose action is 'Allow' (with an alert) do not block the save. Rules that block cannot be bypassed.",
      ),
    timeoutMs,
    fieldMap: fieldMapOverrideSchema.describe(
      'Changes to the default map: `fields` adds or replaces Lead fields (by API name), `omit` drops some.',
    ),
  })
  .superRefine((config, context) => {
    if (config.authFlow === 'jwt_bearer' && config.username === undefined) {
      context.addIssue({
        code: 'custom',
        path: ['username'],
        message: 'The JWT bearer flow needs the username of the integration user',
      })
    }
    if (config.authFlow === 'client_credentials' && sharedLoginHosts.has(new URL(config.loginUrl).hostname)) {
      context.addIssue({
        code: 'custom',
        path: ['loginUrl'],
        message:
          "The client credentials flow only works on your org's My Domain (https://<mydomain>.my.salesforce.com), not on login.salesforce.com or test.salesforce.com",
      })
    }
    for (const name of Object.keys(config.fieldMap?.fields ?? {})) {
      if (!apiNamePattern.test(name)) {
        context.addIssue({
          code: 'custom',
          path: ['fieldMap', 'fields', name],
          message: 'Must be a Lead field API name such as Title or Marketplace_Offer__c',
        })
      }
    }
    if (config.matchBy === 'externalId' && config.externalIdField === config.sourceField) {
      context.addIssue({
        code: 'custom',
        path: ['sourceField'],
        message: 'sourceField cannot be the external id field',
      })
    }
  })

export const salesforceWebToLeadConfigSchema = z
  .strictObject({
    mode: z.literal('web-to-lead'),
    oid: z
      .string()
      .regex(
        /^00D[A-Za-z0-9]{12}([A-Za-z0-9]{3})?$/,
        'Must be your Salesforce organization id (00D…, 15 or 18 characters)',
      )
      .describe('The organization id, the `oid` hidden field of a generated Web-to-Lead form.'),
    servletUrl: originUrl
      .default(defaultWebToLeadUrl)
      .describe('Where the form is posted. Leave the default unless Salesforce support tells you otherwise.'),
    requiredFieldPlaceholder,
    timeoutMs,
    fieldMap: fieldMapOverrideSchema.describe(
      'Changes to the default map: `fields` adds or replaces form fields (first_name, lead_source, 00N… custom field ids), `omit` drops some.',
    ),
  })
  .superRefine((config, context) => {
    for (const name of Object.keys(config.fieldMap?.fields ?? {})) {
      if (!/^[A-Za-z0-9_]+$/.test(name) || name === 'oid') {
        context.addIssue({
          code: 'custom',
          path: ['fieldMap', 'fields', name],
          message: 'Must be a Web-to-Lead form field name such as title or a custom field id (00N…), not oid',
        })
      }
    }
  })

export const salesforceConfigSchema = z.discriminatedUnion(
  'mode',
  [salesforceApiConfigSchema, salesforceWebToLeadConfigSchema],
  { error: "mode must be 'api' (the default) or 'web-to-lead'" },
)

export type SalesforceApiConfig = z.output<typeof salesforceApiConfigSchema>
export type SalesforceWebToLeadConfig = z.output<typeof salesforceWebToLeadConfigSchema>
export type SalesforceConfig = z.output<typeof salesforceConfigSchema>

/** The JWT `aud` claim for a login URL: sandboxes authenticate against test.salesforce.com. */
export function jwtAudienceFor(config: SalesforceApiConfig): string {
  if (config.jwtAudience) return new URL(config.jwtAudience).origin
  const host = new URL(config.loginUrl).hostname
  return host === 'test.salesforce.com' || host.endsWith('.sandbox.my.salesforce.com')
    ? 'https://test.salesforce.com'
    : 'https://login.salesforce.com'
}
