/**
 * The Salesforce destination's settings: the REST API mode (OAuth 2.0, idempotent upserts) or the Web-to-Lead mode
 * (a form post, no credentials). Secrets (client secret, private key) are not settings: see auth.ts.
 */

import { z } from 'zod'
import { fieldMapOverrideSchema, requiredFieldPlaceholder as sharedPlaceholder } from '../field-map.ts'

/** The REST API version every call uses unless the destination names another (Spring '24; v46.0+ is required). */
export const defaultApiVersion = '60.0'
export const defaultExternalIdField = 'Leadrelay_Id__c'
export const defaultLeadSource = 'Azure Marketplace'
export const defaultPlaceholder = sharedPlaceholder
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

const timeoutMs = z.number().int().min(1000).max(30_000).default(15_000).meta({
  title: 'Timeout (ms)',
  description: 'How long one request may take, in ms, before it counts as failed and is retried.',
})

const requiredFieldPlaceholder = z.string().min(1).max(40).nullable().default(defaultPlaceholder).meta({
  title: 'Placeholder for a missing Last Name or Company',
  description:
    'Written to Last Name and Company (last_name and company in Web-to-Lead) when the lead has no value, since Salesforce requires both. Empty (null) sends nothing, and Salesforce rejects such leads.',
})

export const salesforceApiConfigSchema = z
  .strictObject({
    mode: z
      .literal('api')
      .default('api')
      .describe("'api' (REST API with OAuth, upserts) or 'web-to-lead' (form post, no credentials)."),
    loginUrl: loginUrl.meta({
      title: 'My Domain URL',
      description:
        "Where tokens come from: your org's My Domain, e.g. https://acme.my.salesforce.com (Salesforce Setup → My Domain → Current My Domain URL). The JWT bearer flow also takes https://login.salesforce.com or https://test.salesforce.com.",
    }),
    authFlow: z
      .enum(['client_credentials', 'jwt_bearer'])
      .default('client_credentials')
      .meta({
        title: 'Authentication method',
        description:
          "How Leadrelay signs in: the connected app's client credentials flow (Consumer Key and Consumer Secret, run as the app's Run As user) or the JWT bearer flow (Consumer Key and the private key of the certificate uploaded to the app, as the integration user).",
        'x-enum-labels': {
          client_credentials: 'Client credentials (Consumer Key and Consumer Secret)',
          jwt_bearer: 'JWT bearer (Consumer Key and certificate private key)',
        },
      }),
    username: z
      .string()
      .min(3)
      .max(255)
      .optional()
      .meta({
        title: 'Integration user username',
        description:
          'The Salesforce username of the integration user the JWT bearer flow signs in as (Setup → Users), pre-authorized for the connected app.',
        'x-when': { authFlow: ['jwt_bearer'] },
      }),
    jwtAudience: originUrl.optional().meta({
      title: 'JWT audience',
      description:
        'The `aud` claim. Leave empty: https://test.salesforce.com for sandboxes (My Domain URL on test.salesforce.com or *.sandbox.my.salesforce.com), else https://login.salesforce.com.',
      'x-when': { authFlow: ['jwt_bearer'] },
    }),
    apiVersion: z
      .string()
      .regex(/^\d{2,3}\.0$/, 'Must look like 60.0')
      .refine((version) => Number(version) >= 46, 'Must be 46.0 or later (upserts by external id in batches)')
      .default(defaultApiVersion)
      .meta({ title: 'API version', description: 'REST API version, e.g. 60.0.' }),
    matchBy: z
      .enum(['externalId', 'email'])
      .default('externalId')
      .meta({
        title: 'Match leads by',
        description:
          "'externalId' upserts on a custom External ID field holding Leadrelay's lead id (recommended); 'email' looks the lead up by email with SOQL, for orgs that cannot add that field.",
        'x-enum-labels': { externalId: 'External ID field (recommended)', email: 'Email address' },
      }),
    externalIdField: fieldApiName.default(defaultExternalIdField).meta({
      title: 'External ID field (API name)',
      description:
        'The Lead field (Text, External ID, Unique) that holds the Leadrelay lead id: Setup → Object Manager → Lead → Fields & Relationships → Field Name.',
      'x-when': { matchBy: ['externalId'] },
    }),
    leadSource: z.string().min(1).max(255).nullable().default(defaultLeadSource).meta({
      title: 'Lead Source value',
      description:
        'The Lead Source picklist value written on every lead; empty (null) leaves Lead Source alone. Must be a value of the picklist when it is restricted.',
    }),
    sourceField: fieldApiName.nullable().default('Description').meta({
      title: 'Marketplace source field (API name)',
      description:
        "Text field receiving the raw marketplace lead source ('AzureMarketplace-INS|publisher.offer'). 'Description' appends it to the description; empty (null) writes it nowhere.",
    }),
    requiredFieldPlaceholder,
    assignmentRule: z
      .union([
        z.enum(['active', 'none']),
        z.string().regex(/^01Q[A-Za-z0-9]{12}([A-Za-z0-9]{3})?$/, 'Must be an AssignmentRule id (01Q…)'),
      ])
      .default('active')
      .meta({
        title: 'Lead assignment rule',
        description:
          "Lead assignment (Sforce-Auto-Assign): 'active' runs the active assignment rule on every create and update (Salesforce's default), 'none' runs none, an AssignmentRule id (01Q…, Setup → Lead Assignment Rules) runs that rule on creates only.",
      }),
    allowSaveOnDuplicate: z.boolean().default(false).meta({
      title: 'Save despite duplicate alerts',
      description:
        "Sends Sforce-Duplicate-Rule-Header allowSave=true, so duplicate rules whose action is 'Allow' (with an alert) do not block the save. Rules that block cannot be bypassed.",
    }),
    timeoutMs,
    fieldMap: fieldMapOverrideSchema.meta({
      title: 'Field map changes',
      description:
        'Changes to the default map: `fields` adds or replaces Lead fields (by API name), `omit` drops some.',
    }),
  })
  .meta({ title: 'REST API (recommended)', description: 'Upserts Leads over the REST API with OAuth 2.0.' })
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
      .meta({
        title: 'Organization ID',
        description:
          'Your org id (00D…): Setup → Company Information → Salesforce.com Organization ID, or the `oid` hidden field of a generated Web-to-Lead form.',
      }),
    servletUrl: originUrl.default(defaultWebToLeadUrl).meta({
      title: 'Web-to-Lead URL',
      description: 'Where the form is posted. Leave the default unless Salesforce support tells you otherwise.',
    }),
    requiredFieldPlaceholder,
    timeoutMs,
    fieldMap: fieldMapOverrideSchema.meta({
      title: 'Field map changes',
      description:
        'Changes to the default map: `fields` adds or replaces form fields (first_name, lead_source, 00N… custom field ids), `omit` drops some.',
    }),
  })
  .meta({
    title: 'Web-to-Lead (no credentials)',
    description: 'Posts the Web-to-Lead form: no connected app needed, but no updates and no delivery confirmation.',
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

export const salesforceConfigSchema = z
  .discriminatedUnion('mode', [salesforceApiConfigSchema, salesforceWebToLeadConfigSchema], {
    error: "mode must be 'api' (the default) or 'web-to-lead'",
  })
  .meta({ title: 'Connection method' })

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
