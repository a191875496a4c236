/** What `GET /v1/destination-kinds` answers for the CRM connectors; kept true by test/web/destination-kinds-fixture.test.ts. */

import type { DestinationKind } from '../api/types.ts'

export const connectorKinds: Readonly<Record<string, DestinationKind>> = {
  'azure-table': {
    kind: 'azure-table',
    displayName: 'Azure Table',
    configSchema: {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      properties: {
        tableName: {
          default: 'MarketplaceLeads',
          title: 'Table name',
          description:
            "The table leads are written to; created when missing. Default MarketplaceLeads, as Microsoft's.",
          type: 'string',
          pattern: '^[A-Za-z][A-Za-z0-9]{2,62}$',
        },
        layout: {
          default: 'both',
          title: 'Column layout',
          description:
            "'microsoft': Microsoft's columns only (CustomerInfo as a JSON string); 'split': Microsoft's columns with CustomerInfo split into one column per customer field, plus the lead's stage, history count, flags and id; 'both': the split columns and CustomerInfo.",
          'x-enum-labels': {
            microsoft: "Microsoft's columns only",
            split: 'One column per customer field',
            both: 'Both (recommended)',
          },
          type: 'string',
          enum: ['microsoft', 'split', 'both'],
        },
        fieldMap: {
          title: 'Column map changes',
          description: 'Columns to add or replace (a lead value, a constant or a template) and columns to leave out.',
          type: 'object',
          properties: {
            fields: {
              default: {},
              type: 'object',
              propertyNames: {
                type: 'string',
                minLength: 1,
                maxLength: 255,
              },
              additionalProperties: {
                anyOf: [
                  {
                    type: 'object',
                    properties: {
                      from: {
                        type: 'string',
                        enum: [
                          'leadId',
                          'customer.firstName',
                          'customer.lastName',
                          'customer.fullName',
                          'customer.email',
                          'customer.phone',
                          'customer.country',
                          'customer.company',
                          'customer.title',
                          'offerId',
                          'offerName',
                          'offerTitle',
                          'source',
                          'action',
                          'leadSource',
                          'stage',
                          'description',
                          'historySummary',
                          'eventCount',
                          'doNotContact',
                          'isTest',
                          'firstEventAt',
                          'lastEventAt',
                          'version',
                        ],
                      },
                    },
                    required: ['from'],
                    additionalProperties: false,
                  },
                  {
                    type: 'object',
                    properties: {
                      constant: {
                        anyOf: [
                          {
                            type: 'string',
                            maxLength: 1000,
                          },
                          {
                            type: 'number',
                          },
                          {
                            type: 'boolean',
                          },
                          {
                            type: 'null',
                          },
                        ],
                      },
                    },
                    required: ['constant'],
                    additionalProperties: false,
                  },
                  {
                    type: 'object',
                    properties: {
                      template: {
                        type: 'string',
                        maxLength: 2000,
                      },
                    },
                    required: ['template'],
                    additionalProperties: false,
                  },
                ],
              },
            },
            omit: {
              default: [],
              type: 'array',
              items: {
                type: 'string',
                minLength: 1,
                maxLength: 255,
              },
            },
          },
          additionalProperties: false,
        },
      },
      additionalProperties: false,
    },
    secretFields: [
      {
        name: 'connectionString',
        label: 'Connection string',
        required: false,
        help: 'DefaultEndpointsProtocol=https;AccountName=…;AccountKey=…;EndpointSuffix=core.windows.net: Azure portal → your storage account → Security + networking → Access keys → key1 → Connection string (it holds the account key). Give this or a SAS URL.',
      },
      {
        name: 'sasUrl',
        label: 'Table service SAS URL',
        required: false,
        help: 'Azure portal → your storage account → Security + networking → Shared access signature → allowed service Table, resource types Service, Container and Object, permissions Read, Add, Update (and Create, unless the table exists) → Generate → Table service SAS URL. Give this or a connection string.',
      },
    ],
    supportsSecretRotation: false,
  },
  dynamics365: {
    kind: 'dynamics365',
    displayName: 'Microsoft Dynamics 365 / Dataverse',
    configSchema: {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      properties: {
        environmentUrl: {
          type: 'string',
          maxLength: 2048,
          format: 'uri',
          title: 'Environment URL',
          description:
            'The Dataverse environment URL, e.g. https://contoso.crm4.dynamics.com (Power Platform admin center → Manage → Environments → your environment → Environment URL).',
        },
        tenantId: {
          type: 'string',
          title: 'Directory (tenant) ID',
          description:
            'The Microsoft Entra tenant where the app is registered: Microsoft Entra admin center → App registrations → your app → Overview → Directory (tenant) ID.',
        },
        clientId: {
          type: 'string',
          pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$',
          title: 'Application (client) ID',
          description:
            'Microsoft Entra admin center → App registrations → your app → Overview → Application (client) ID. The app needs an application user with a security role in the environment (Power Platform admin center → your environment → Settings → Users + permissions → Application users).',
        },
        authorityHost: {
          default: 'https://login.microsoftonline.com',
          title: 'Microsoft Entra sign-in host',
          description:
            'Microsoft Entra ID sign-in host; change it only for a sovereign cloud (e.g. https://login.microsoftonline.us).',
          type: 'string',
          maxLength: 2048,
          format: 'uri',
        },
        matchBy: {
          default: 'email',
          title: 'Match leads by',
          description:
            "How a lead finds its record: 'email' (the lead with the same emailaddress1) or 'alternateKey' (a column with an alternate key holding the Leadrelay lead id; strictly idempotent).",
          'x-enum-labels': {
            email: 'Email address',
            alternateKey: 'Alternate key column',
          },
          type: 'string',
          enum: ['email', 'alternateKey'],
        },
        alternateKeyColumn: {
          default: 'leadrelay_leadid',
          title: 'Alternate key column (logical name)',
          description:
            'Logical name of the lead column with an alternate key (Power Apps → Tables → Lead → Keys), holding the Leadrelay lead id.',
          'x-when': {
            matchBy: ['alternateKey'],
          },
          type: 'string',
          pattern: '^[a-z][a-z0-9_]{0,99}$',
        },
        leadSourceCode: {
          default: 8,
          title: 'Lead Source option value',
          description:
            'Option value written to leadsourcecode (8 = Web in a standard table); empty (null) leaves the column alone.',
          anyOf: [
            {
              type: 'integer',
              minimum: 0,
              maximum: 2147483647,
            },
            {
              type: 'null',
            },
          ],
        },
        timeoutMs: {
          default: 10000,
          title: 'Timeout (ms)',
          description: 'How long one HTTP call to Entra ID or Dataverse may take, in ms.',
          type: 'integer',
          minimum: 1000,
          maximum: 30000,
        },
        fieldMap: {
          title: 'Field map changes',
          description: 'Changes to the default lead field map: entries to add or replace, columns to omit.',
          type: 'object',
          properties: {
            fields: {
              default: {},
              type: 'object',
              propertyNames: {
                type: 'string',
                minLength: 1,
                maxLength: 255,
              },
              additionalProperties: {
                anyOf: [
                  {
                    type: 'object',
                    properties: {
                      from: {
                        type: 'string',
                        enum: [
                          'leadId',
                          'customer.firstName',
                          'customer.lastName',
                          'customer.fullName',
                          'customer.email',
                          'customer.phone',
                          'customer.country',
                          'customer.company',
                          'customer.title',
                          'offerId',
                          'offerName',
                          'offerTitle',
                          'source',
                          'action',
                          'leadSource',
                          'stage',
                          'description',
                          'historySummary',
                          'eventCount',
                          'doNotContact',
                          'isTest',
                          'firstEventAt',
                          'lastEventAt',
                          'version',
                        ],
                      },
                    },
                    required: ['from'],
                    additionalProperties: false,
                  },
                  {
                    type: 'object',
                    properties: {
                      constant: {
                        anyOf: [
                          {
                            type: 'string',
                            maxLength: 1000,
                          },
                          {
                            type: 'number',
                          },
                          {
                            type: 'boolean',
                          },
                          {
                            type: 'null',
                          },
                        ],
                      },
                    },
                    required: ['constant'],
                    additionalProperties: false,
                  },
                  {
                    type: 'object',
                    properties: {
                      template: {
                        type: 'string',
                        maxLength: 2000,
                      },
                    },
                    required: ['template'],
                    additionalProperties: false,
                  },
                ],
              },
            },
            omit: {
              default: [],
              type: 'array',
              items: {
                type: 'string',
                minLength: 1,
                maxLength: 255,
              },
            },
          },
          additionalProperties: false,
        },
        requiredFieldPlaceholder: {
          default: '[not provided]',
          title: 'Placeholder for a missing last name',
          description:
            'Written to lastname (Last Name, required on the lead table) when the lead has no last name. Empty (null) sends nothing, and Dataverse may then refuse such leads.',
          anyOf: [
            {
              type: 'string',
              minLength: 1,
              maxLength: 50,
            },
            {
              type: 'null',
            },
          ],
        },
      },
      required: ['environmentUrl', 'tenantId', 'clientId'],
      additionalProperties: false,
    },
    secretFields: [
      {
        name: 'clientSecret',
        label: 'Client secret (Value)',
        required: true,
        help: 'Microsoft Entra admin center → App registrations → your app → Certificates & secrets → Client secrets → New client secret; copy its Value (not the Secret ID), which is shown only once.',
      },
    ],
    supportsSecretRotation: false,
  },
  hubspot: {
    kind: 'hubspot',
    displayName: 'HubSpot (contacts)',
    configSchema: {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      properties: {
        baseUrl: {
          default: 'https://api.hubapi.com',
          title: 'API base URL',
          description: "HubSpot's API root. Leave the default, https://api.hubapi.com.",
          type: 'string',
          maxLength: 2048,
          format: 'uri',
        },
        timeoutMs: {
          default: 15000,
          title: 'Timeout (ms)',
          description: 'How long one HubSpot call may take, in ms, before it counts as failed and is retried.',
          type: 'integer',
          minimum: 1000,
          maximum: 30000,
        },
        lifecycleStages: {
          title: 'Lifecycle stage per funnel stage',
          description:
            "Lifecycle stage (internal value, Settings → Objects → Contacts → Lifecycle stage) per funnel stage; empty leaves the contact's lifecycle stage alone for that stage. The lead's furthest stage is sent, never a lower one.",
          default: {},
          type: 'object',
          properties: {
            trial: {
              default: 'lead',
              anyOf: [
                {
                  type: 'string',
                  pattern: '^[A-Za-z0-9_-]{1,100}$',
                },
                {
                  type: 'null',
                },
              ],
            },
            initial_interest: {
              default: 'marketingqualifiedlead',
              anyOf: [
                {
                  type: 'string',
                  pattern: '^[A-Za-z0-9_-]{1,100}$',
                },
                {
                  type: 'null',
                },
              ],
            },
            active: {
              default: 'salesqualifiedlead',
              anyOf: [
                {
                  type: 'string',
                  pattern: '^[A-Za-z0-9_-]{1,100}$',
                },
                {
                  type: 'null',
                },
              ],
            },
            customer: {
              default: 'customer',
              anyOf: [
                {
                  type: 'string',
                  pattern: '^[A-Za-z0-9_-]{1,100}$',
                },
                {
                  type: 'null',
                },
              ],
            },
          },
          additionalProperties: false,
        },
        leadStatus: {
          title: 'Lead status',
          description:
            'hs_lead_status sent with every delivery (e.g. NEW). Leave unset if your sales team maintains lead status: it would be overwritten on every update.',
          type: 'string',
          pattern: '^[A-Za-z0-9_-]{1,100}$',
        },
        doNotContactLeadStatus: {
          title: 'Lead status for do-not-contact',
          description: 'hs_lead_status sent for a lead under a do-not-contact notice (e.g. UNQUALIFIED).',
          type: 'string',
          pattern: '^[A-Za-z0-9_-]{1,100}$',
        },
        doNotContactProperty: {
          title: 'Do-not-contact property (internal name)',
          description:
            'A single checkbox contact property set to true while the lead is under a do-not-contact notice (Settings → Properties → the property → Internal name).',
          type: 'string',
          pattern: '^[a-z][a-z0-9_]{0,99}$',
        },
        testLeadProperty: {
          title: 'Test lead property (internal name)',
          description: 'A single checkbox contact property set to true for test leads (MSFT_TEST and Leadrelay tests).',
          type: 'string',
          pattern: '^[a-z][a-z0-9_]{0,99}$',
        },
        leadSourceProperty: {
          title: 'Lead source property (internal name)',
          description:
            'A text contact property that receives the raw LeadSource (e.g. AzureMarketplace-INS|publisher.offer).',
          type: 'string',
          pattern: '^[a-z][a-z0-9_]{0,99}$',
        },
        historyProperty: {
          title: 'History property (internal name)',
          description: "A multi-line text contact property that receives the lead's history, one event per line.",
          type: 'string',
          pattern: '^[a-z][a-z0-9_]{0,99}$',
        },
        accountTimeZone: {
          default: 'UTC',
          title: 'Account time zone',
          description:
            "Your HubSpot account's time zone (Settings → Account defaults → Time zone): the daily API limit resets at its midnight.",
          type: 'string',
        },
        requestsPer10Seconds: {
          default: 80,
          title: 'Requests per 10 seconds',
          description:
            'At most this many HubSpot calls per rolling 10 seconds from this destination (HubSpot allows 100 to 190 per account, shared by all its apps).',
          type: 'integer',
          minimum: 1,
          maximum: 500,
        },
        fieldMap: {
          title: 'Field map changes',
          description:
            'Changes to the default property map: { "fields": { "<property>": mapping }, "omit": ["<property>"] }.',
          type: 'object',
          properties: {
            fields: {
              default: {},
              type: 'object',
              propertyNames: {
                type: 'string',
                minLength: 1,
                maxLength: 255,
              },
              additionalProperties: {
                anyOf: [
                  {
                    type: 'object',
                    properties: {
                      from: {
                        type: 'string',
                        enum: [
                          'leadId',
                          'customer.firstName',
                          'customer.lastName',
                          'customer.fullName',
                          'customer.email',
                          'customer.phone',
                          'customer.country',
                          'customer.company',
                          'customer.title',
                          'offerId',
                          'offerName',
                          'offerTitle',
                          'source',
                          'action',
                          'leadSource',
                          'stage',
                          'description',
                          'historySummary',
                          'eventCount',
                          'doNotContact',
                          'isTest',
                          'firstEventAt',
                          'lastEventAt',
                          'version',
                        ],
                      },
                    },
                    required: ['from'],
                    additionalProperties: false,
                  },
                  {
                    type: 'object',
                    properties: {
                      constant: {
                        anyOf: [
                          {
                            type: 'string',
                            maxLength: 1000,
                          },
                          {
                            type: 'number',
                          },
                          {
                            type: 'boolean',
                          },
                          {
                            type: 'null',
                          },
                        ],
                      },
                    },
                    required: ['constant'],
                    additionalProperties: false,
                  },
                  {
                    type: 'object',
                    properties: {
                      template: {
                        type: 'string',
                        maxLength: 2000,
                      },
                    },
                    required: ['template'],
                    additionalProperties: false,
                  },
                ],
              },
            },
            omit: {
              default: [],
              type: 'array',
              items: {
                type: 'string',
                minLength: 1,
                maxLength: 255,
              },
            },
          },
          additionalProperties: false,
        },
      },
      additionalProperties: false,
    },
    secretFields: [
      {
        name: 'accessToken',
        label: 'Private app access token',
        required: true,
        help: "HubSpot → Settings → Integrations → Private Apps → your app → Auth → Access token → Show token (it starts with 'pat-'). The app needs the scopes crm.objects.contacts.read and crm.objects.contacts.write.",
      },
    ],
    supportsSecretRotation: false,
  },
  marketo: {
    kind: 'marketo',
    displayName: 'Marketo (Adobe Marketo Engage)',
    configSchema: {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      properties: {
        munchkinId: {
          title: 'Munchkin ID',
          description:
            'Your Marketo instance, e.g. 123-ABC-456 (Admin → Integration → Munchkin → Munchkin Account ID). The REST API is then https://<Munchkin ID>.mktorest.com. Give this or the REST API Endpoint.',
          type: 'string',
          pattern: '^\\d{3}-[A-Za-z]{3}-\\d{3}$',
        },
        restUrl: {
          title: 'REST API Endpoint',
          description:
            'Instead of the Munchkin ID: Admin → Integration → Web Services → REST API → Endpoint, e.g. https://123-ABC-456.mktorest.com/rest. The Identity Endpoint shown beside it (…/identity) is derived from it.',
          type: 'string',
          maxLength: 2048,
          format: 'uri',
        },
        lookupField: {
          default: 'email',
          title: 'Lookup field',
          description: 'The field Marketo de-duplicates people on (Sync Leads lookupField). Default email.',
          type: 'string',
          pattern: '^[A-Za-z_][A-Za-z0-9_]{0,254}$',
        },
        action: {
          default: 'createOrUpdate',
          title: 'Sync action',
          description:
            'Sync Leads action: createOrUpdate (default), createOnly (never touch existing people) or updateOnly (only update people already in Marketo). createDuplicate is not offered: it would create a person per retry.',
          'x-enum-labels': {
            createOrUpdate: 'Create or update',
            createOnly: 'Create only (never touch existing people)',
            updateOnly: 'Update only (people already in Marketo)',
          },
          type: 'string',
          enum: ['createOrUpdate', 'createOnly', 'updateOnly'],
        },
        partitionName: {
          title: 'Lead partition',
          description:
            'Lead partition new people are created in (Admin → Workspaces & Partitions → Person Partitions); default partition if left out.',
          type: 'string',
          minLength: 1,
          maxLength: 255,
        },
        leadSource: {
          default: 'Azure Marketplace',
          title: 'Lead Source',
          description: "The value written to Marketo's Lead Source field.",
          type: 'string',
          minLength: 1,
          maxLength: 255,
        },
        sourceDetailField: {
          title: 'Source detail field (REST API name)',
          description:
            'A custom text field that receives the raw marketplace lead source and stage, e.g. "AzureMarketplace-INS|contoso.crm (initial_interest)" (Admin → Field Management). None by default.',
          type: 'string',
          pattern: '^[A-Za-z_][A-Za-z0-9_]{0,254}$',
        },
        marketingSuspendedOnDoNotContact: {
          default: false,
          title: 'Marketing Suspended on do-not-contact',
          description: 'Also set Marketing Suspended on do-not-contact leads (Unsubscribed is always set).',
          type: 'boolean',
        },
        testLeadField: {
          title: 'Test lead field (REST API name)',
          description:
            'A custom Boolean field set to true on marketplace test leads (MSFT_TEST), so smart lists can skip them.',
          type: 'string',
          pattern: '^[A-Za-z_][A-Za-z0-9_]{0,254}$',
        },
        quotaResetTimeZone: {
          default: 'UTC',
          title: 'Quota reset time zone',
          description:
            'When the daily API quota resets (midnight in this zone); Marketo resets at midnight US Central for most subscriptions: set America/Chicago. Default UTC.',
          type: 'string',
        },
        timeoutMs: {
          default: 15000,
          title: 'Timeout (ms)',
          description: 'How long one call to Marketo may take, in ms, before it counts as failed and is retried.',
          type: 'integer',
          minimum: 1000,
          maximum: 30000,
        },
        fieldMap: {
          title: 'Field map changes',
          description:
            'Changes to the default field map: { "fields": { "<Marketo field>": { "from": "..." } }, "omit": ["phone"] }.',
          type: 'object',
          properties: {
            fields: {
              default: {},
              type: 'object',
              propertyNames: {
                type: 'string',
                minLength: 1,
                maxLength: 255,
              },
              additionalProperties: {
                anyOf: [
                  {
                    type: 'object',
                    properties: {
                      from: {
                        type: 'string',
                        enum: [
                          'leadId',
                          'customer.firstName',
                          'customer.lastName',
                          'customer.fullName',
                          'customer.email',
                          'customer.phone',
                          'customer.country',
                          'customer.company',
                          'customer.title',
                          'offerId',
                          'offerName',
                          'offerTitle',
                          'source',
                          'action',
                          'leadSource',
                          'stage',
                          'description',
                          'historySummary',
                          'eventCount',
                          'doNotContact',
                          'isTest',
                          'firstEventAt',
                          'lastEventAt',
                          'version',
                        ],
                      },
                    },
                    required: ['from'],
                    additionalProperties: false,
                  },
                  {
                    type: 'object',
                    properties: {
                      constant: {
                        anyOf: [
                          {
                            type: 'string',
                            maxLength: 1000,
                          },
                          {
                            type: 'number',
                          },
                          {
                            type: 'boolean',
                          },
                          {
                            type: 'null',
                          },
                        ],
                      },
                    },
                    required: ['constant'],
                    additionalProperties: false,
                  },
                  {
                    type: 'object',
                    properties: {
                      template: {
                        type: 'string',
                        maxLength: 2000,
                      },
                    },
                    required: ['template'],
                    additionalProperties: false,
                  },
                ],
              },
            },
            omit: {
              default: [],
              type: 'array',
              items: {
                type: 'string',
                minLength: 1,
                maxLength: 255,
              },
            },
          },
          additionalProperties: false,
        },
      },
      additionalProperties: false,
    },
    secretFields: [
      {
        name: 'clientId',
        label: 'Client ID',
        required: true,
        help: 'Admin → Integration → LaunchPoint → your custom service (API-only user) → View Details → Client ID.',
      },
      {
        name: 'clientSecret',
        label: 'Client Secret',
        required: true,
        help: 'Admin → Integration → LaunchPoint → your custom service → View Details → Client Secret.',
      },
    ],
    supportsSecretRotation: false,
  },
  salesforce: {
    kind: 'salesforce',
    displayName: 'Salesforce',
    configSchema: {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      oneOf: [
        {
          type: 'object',
          properties: {
            mode: {
              default: 'api',
              description: "'api' (REST API with OAuth, upserts) or 'web-to-lead' (form post, no credentials).",
              type: 'string',
              const: 'api',
            },
            loginUrl: {
              type: 'string',
              maxLength: 2048,
              format: 'uri',
              title: 'My Domain URL',
              description:
                "Where tokens come from: your org's My Domain, e.g. https://acme.my.salesforce.com (Salesforce Setup → My Domain → Current My Domain URL). The JWT bearer flow also takes https://login.salesforce.com or https://test.salesforce.com.",
            },
            authFlow: {
              default: 'client_credentials',
              title: 'Authentication method',
              description:
                "How Leadrelay signs in: the connected app's client credentials flow (Consumer Key and Consumer Secret, run as the app's Run As user) or the JWT bearer flow (Consumer Key and the private key of the certificate uploaded to the app, as the integration user).",
              'x-enum-labels': {
                client_credentials: 'Client credentials (Consumer Key and Consumer Secret)',
                jwt_bearer: 'JWT bearer (Consumer Key and certificate private key)',
              },
              type: 'string',
              enum: ['client_credentials', 'jwt_bearer'],
            },
            username: {
              title: 'Integration user username',
              description:
                'The Salesforce username of the integration user the JWT bearer flow signs in as (Setup → Users), pre-authorized for the connected app.',
              'x-when': {
                authFlow: ['jwt_bearer'],
              },
              type: 'string',
              minLength: 3,
              maxLength: 255,
            },
            jwtAudience: {
              title: 'JWT audience',
              description:
                'The `aud` claim. Leave empty: https://test.salesforce.com for sandboxes (My Domain URL on test.salesforce.com or *.sandbox.my.salesforce.com), else https://login.salesforce.com.',
              'x-when': {
                authFlow: ['jwt_bearer'],
              },
              type: 'string',
              maxLength: 2048,
              format: 'uri',
            },
            apiVersion: {
              default: '60.0',
              title: 'API version',
              description: 'REST API version, e.g. 60.0.',
              type: 'string',
              pattern: '^\\d{2,3}\\.0$',
            },
            matchBy: {
              default: 'externalId',
              title: 'Match leads by',
              description:
                "'externalId' upserts on a custom External ID field holding Leadrelay's lead id (recommended); 'email' looks the lead up by email with SOQL, for orgs that cannot add that field.",
              'x-enum-labels': {
                externalId: 'External ID field (recommended)',
                email: 'Email address',
              },
              type: 'string',
              enum: ['externalId', 'email'],
            },
            externalIdField: {
              default: 'Leadrelay_Id__c',
              title: 'External ID field (API name)',
              description:
                'The Lead field (Text, External ID, Unique) that holds the Leadrelay lead id: Setup → Object Manager → Lead → Fields & Relationships → Field Name.',
              'x-when': {
                matchBy: ['externalId'],
              },
              type: 'string',
              maxLength: 80,
              pattern: '^[A-Za-z][A-Za-z0-9_]*$',
            },
            leadSource: {
              default: 'Azure Marketplace',
              title: 'Lead Source value',
              description:
                'The Lead Source picklist value written on every lead; empty (null) leaves Lead Source alone. Must be a value of the picklist when it is restricted.',
              anyOf: [
                {
                  type: 'string',
                  minLength: 1,
                  maxLength: 255,
                },
                {
                  type: 'null',
                },
              ],
            },
            sourceField: {
              default: 'Description',
              title: 'Marketplace source field (API name)',
              description:
                "Text field receiving the raw marketplace lead source ('AzureMarketplace-INS|publisher.offer'). 'Description' appends it to the description; empty (null) writes it nowhere.",
              anyOf: [
                {
                  type: 'string',
                  maxLength: 80,
                  pattern: '^[A-Za-z][A-Za-z0-9_]*$',
                },
                {
                  type: 'null',
                },
              ],
            },
            requiredFieldPlaceholder: {
              default: '[not provided]',
              title: 'Placeholder for a missing Last Name or Company',
              description:
                'Written to Last Name and Company (last_name and company in Web-to-Lead) when the lead has no value, since Salesforce requires both. Empty (null) sends nothing, and Salesforce rejects such leads.',
              anyOf: [
                {
                  type: 'string',
                  minLength: 1,
                  maxLength: 40,
                },
                {
                  type: 'null',
                },
              ],
            },
            assignmentRule: {
              default: 'active',
              title: 'Lead assignment rule',
              description:
                "Lead assignment (Sforce-Auto-Assign): 'active' runs the active assignment rule on every create and update (Salesforce's default), 'none' runs none, an AssignmentRule id (01Q…, Setup → Lead Assignment Rules) runs that rule on creates only.",
              anyOf: [
                {
                  type: 'string',
                  enum: ['active', 'none'],
                },
                {
                  type: 'string',
                  pattern: '^01Q[A-Za-z0-9]{12}([A-Za-z0-9]{3})?$',
                },
              ],
            },
            allowSaveOnDuplicate: {
              default: false,
              title: 'Save despite duplicate alerts',
              description:
                "Sends Sforce-Duplicate-Rule-Header allowSave=true, so duplicate rules whose action is 'Allow' (with an alert) do not block the save. Rules that block cannot be bypassed.",
              type: 'boolean',
            },
            timeoutMs: {
              default: 15000,
              title: 'Timeout (ms)',
              description: 'How long one request may take, in ms, before it counts as failed and is retried.',
              type: 'integer',
              minimum: 1000,
              maximum: 30000,
            },
            fieldMap: {
              title: 'Field map changes',
              description:
                'Changes to the default map: `fields` adds or replaces Lead fields (by API name), `omit` drops some.',
              type: 'object',
              properties: {
                fields: {
                  default: {},
                  type: 'object',
                  propertyNames: {
                    type: 'string',
                    minLength: 1,
                    maxLength: 255,
                  },
                  additionalProperties: {
                    anyOf: [
                      {
                        type: 'object',
                        properties: {
                          from: {
                            type: 'string',
                            enum: [
                              'leadId',
                              'customer.firstName',
                              'customer.lastName',
                              'customer.fullName',
                              'customer.email',
                              'customer.phone',
                              'customer.country',
                              'customer.company',
                              'customer.title',
                              'offerId',
                              'offerName',
                              'offerTitle',
                              'source',
                              'action',
                              'leadSource',
                              'stage',
                              'description',
                              'historySummary',
                              'eventCount',
                              'doNotContact',
                              'isTest',
                              'firstEventAt',
                              'lastEventAt',
                              'version',
                            ],
                          },
                        },
                        required: ['from'],
                        additionalProperties: false,
                      },
                      {
                        type: 'object',
                        properties: {
                          constant: {
                            anyOf: [
                              {
                                type: 'string',
                                maxLength: 1000,
                              },
                              {
                                type: 'number',
                              },
                              {
                                type: 'boolean',
                              },
                              {
                                type: 'null',
                              },
                            ],
                          },
                        },
                        required: ['constant'],
                        additionalProperties: false,
                      },
                      {
                        type: 'object',
                        properties: {
                          template: {
                            type: 'string',
                            maxLength: 2000,
                          },
                        },
                        required: ['template'],
                        additionalProperties: false,
                      },
                    ],
                  },
                },
                omit: {
                  default: [],
                  type: 'array',
                  items: {
                    type: 'string',
                    minLength: 1,
                    maxLength: 255,
                  },
                },
              },
              additionalProperties: false,
            },
          },
          required: ['loginUrl'],
          additionalProperties: false,
          title: 'REST API (recommended)',
          description: 'Upserts Leads over the REST API with OAuth 2.0.',
        },
        {
          type: 'object',
          properties: {
            mode: {
              type: 'string',
              const: 'web-to-lead',
            },
            oid: {
              type: 'string',
              pattern: '^00D[A-Za-z0-9]{12}([A-Za-z0-9]{3})?$',
              title: 'Organization ID',
              description:
                'Your org id (00D…): Setup → Company Information → Salesforce.com Organization ID, or the `oid` hidden field of a generated Web-to-Lead form.',
            },
            servletUrl: {
              default: 'https://webto.salesforce.com/servlet/servlet.WebToLead?encoding=UTF-8',
              title: 'Web-to-Lead URL',
              description: 'Where the form is posted. Leave the default unless Salesforce support tells you otherwise.',
              type: 'string',
              maxLength: 2048,
              format: 'uri',
            },
            requiredFieldPlaceholder: {
              default: '[not provided]',
              title: 'Placeholder for a missing Last Name or Company',
              description:
                'Written to Last Name and Company (last_name and company in Web-to-Lead) when the lead has no value, since Salesforce requires both. Empty (null) sends nothing, and Salesforce rejects such leads.',
              anyOf: [
                {
                  type: 'string',
                  minLength: 1,
                  maxLength: 40,
                },
                {
                  type: 'null',
                },
              ],
            },
            timeoutMs: {
              default: 15000,
              title: 'Timeout (ms)',
              description: 'How long one request may take, in ms, before it counts as failed and is retried.',
              type: 'integer',
              minimum: 1000,
              maximum: 30000,
            },
            fieldMap: {
              title: 'Field map changes',
              description:
                'Changes to the default map: `fields` adds or replaces form fields (first_name, lead_source, 00N… custom field ids), `omit` drops some.',
              type: 'object',
              properties: {
                fields: {
                  default: {},
                  type: 'object',
                  propertyNames: {
                    type: 'string',
                    minLength: 1,
                    maxLength: 255,
                  },
                  additionalProperties: {
                    anyOf: [
                      {
                        type: 'object',
                        properties: {
                          from: {
                            type: 'string',
                            enum: [
                              'leadId',
                              'customer.firstName',
                              'customer.lastName',
                              'customer.fullName',
                              'customer.email',
                              'customer.phone',
                              'customer.country',
                              'customer.company',
                              'customer.title',
                              'offerId',
                              'offerName',
                              'offerTitle',
                              'source',
                              'action',
                              'leadSource',
                              'stage',
                              'description',
                              'historySummary',
                              'eventCount',
                              'doNotContact',
                              'isTest',
                              'firstEventAt',
                              'lastEventAt',
                              'version',
                            ],
                          },
                        },
                        required: ['from'],
                        additionalProperties: false,
                      },
                      {
                        type: 'object',
                        properties: {
                          constant: {
                            anyOf: [
                              {
                                type: 'string',
                                maxLength: 1000,
                              },
                              {
                                type: 'number',
                              },
                              {
                                type: 'boolean',
                              },
                              {
                                type: 'null',
                              },
                            ],
                          },
                        },
                        required: ['constant'],
                        additionalProperties: false,
                      },
                      {
                        type: 'object',
                        properties: {
                          template: {
                            type: 'string',
                            maxLength: 2000,
                          },
                        },
                        required: ['template'],
                        additionalProperties: false,
                      },
                    ],
                  },
                },
                omit: {
                  default: [],
                  type: 'array',
                  items: {
                    type: 'string',
                    minLength: 1,
                    maxLength: 255,
                  },
                },
              },
              additionalProperties: false,
            },
          },
          required: ['mode', 'oid'],
          additionalProperties: false,
          title: 'Web-to-Lead (no credentials)',
          description:
            'Posts the Web-to-Lead form: no connected app needed, but no updates and no delivery confirmation.',
        },
      ],
      title: 'Connection method',
    },
    secretFields: [
      {
        name: 'clientId',
        label: 'Consumer Key',
        required: true,
        help: 'Salesforce Setup → App Manager → your connected app → View → Manage Consumer Details → Consumer Key.',
        when: {
          mode: ['api'],
        },
      },
      {
        name: 'clientSecret',
        label: 'Consumer Secret',
        required: true,
        help: 'Salesforce Setup → App Manager → your connected app → View → Manage Consumer Details → Consumer Secret. The app needs "Enable Client Credentials Flow" and a Run As user.',
        when: {
          mode: ['api'],
          authFlow: ['client_credentials'],
        },
      },
      {
        name: 'privateKey',
        label: 'Private key (PEM)',
        required: true,
        multiline: true,
        help: 'The unencrypted RSA private key (-----BEGIN PRIVATE KEY-----) of the certificate uploaded to the connected app under "Use digital signatures".',
        when: {
          mode: ['api'],
          authFlow: ['jwt_bearer'],
        },
      },
    ],
    supportsSecretRotation: false,
  },
}
