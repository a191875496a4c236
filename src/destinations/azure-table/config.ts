/**
 * The Azure Table destination's settings and secrets. Settings say where and in which layout; the credentials
 * (a connection string or a SAS URL) are secrets and never part of the settings.
 */

import { createRequire } from 'node:module'
import { z } from 'zod'
import { AppError } from '../../core/errors.ts'
import { fieldMapOverrideSchema } from '../field-map.ts'
import type { DestinationSecrets } from '../types.ts'

export const azureTableLayouts = ['microsoft', 'split', 'both'] as const
export type AzureTableLayout = (typeof azureTableLayouts)[number]

/** The table Microsoft's lead management writes; existing readers (Power Automate, Functions) look for it. */
export const defaultTableName = 'MarketplaceLeads'

/**
 * Azure's rules for table names: 3 to 63 letters and digits, starting with a letter; `tables` is reserved.
 * https://learn.microsoft.com/rest/api/storageservices/understanding-the-table-service-data-model#table-names
 */
const tableNamePattern = /^[A-Za-z][A-Za-z0-9]{2,62}$/

export function tableNameProblem(name: string): string | undefined {
  if (!tableNamePattern.test(name)) {
    return 'Table names are 3 to 63 letters and digits and start with a letter (no dashes, dots or spaces)'
  }
  if (name.toLowerCase() === 'tables') return '"tables" is a reserved name'
  return undefined
}

/**
 * Property names the service accepts and the map may set: an identifier of at most 255 characters. The keys and
 * the system column are Leadrelay's (`PartitionKey`, `RowKey`) or the service's (`Timestamp`).
 */
const columnName = /^[A-Za-z_][A-Za-z0-9_]{0,254}$/
export const reservedColumns = ['PartitionKey', 'RowKey', 'Timestamp'] as const

export const azureTableConfigSchema = z.strictObject({
  tableName: z
    .string()
    .regex(tableNamePattern, {
      message: 'Table names are 3 to 63 letters and digits and start with a letter (no dashes, dots or spaces)',
    })
    .refine((name) => name.toLowerCase() !== 'tables', { message: '"tables" is a reserved name' })
    .default(defaultTableName)
    .meta({
      title: 'Table name',
      description: `The table leads are written to; created when missing. Default ${defaultTableName}, as Microsoft's.`,
    }),
  layout: z
    .enum(azureTableLayouts)
    .default('both')
    .meta({
      title: 'Column layout',
      description:
        "'microsoft': Microsoft's columns only (CustomerInfo as a JSON string); 'split': Microsoft's columns with CustomerInfo split into one column per customer field, plus the lead's stage, history count, flags and id; 'both': the split columns and CustomerInfo.",
      'x-enum-labels': {
        microsoft: "Microsoft's columns only",
        split: 'One column per customer field',
        both: 'Both (recommended)',
      },
    }),
  fieldMap: fieldMapOverrideSchema
    .superRefine((override, context) => {
      if (!override) return
      for (const name of [...Object.keys(override.fields), ...override.omit]) {
        if (!columnName.test(name)) {
          context.addIssue({
            code: 'custom',
            path: ['fields', name],
            message: `${name} is not a valid Azure Table property name (letters, digits and _; not starting with a digit)`,
          })
        } else if (
          (reservedColumns as readonly string[]).some((reserved) => reserved.toLowerCase() === name.toLowerCase())
        ) {
          context.addIssue({ code: 'custom', path: ['fields', name], message: `${name} is set by Leadrelay or Azure` })
        }
      }
      if (Object.keys(override.fields).length > 200) {
        context.addIssue({ code: 'custom', path: ['fields'], message: 'At most 200 extra columns' })
      }
    })
    .meta({
      title: 'Column map changes',
      description: 'Columns to add or replace (a lead value, a constant or a template) and columns to leave out.',
    }),
})

export type AzureTableConfig = z.output<typeof azureTableConfigSchema>

/** How the destination authenticates: exactly one of the two. */
export type AzureTableCredentials =
  | { readonly connectionString: string; readonly sasUrl?: undefined }
  | { readonly sasUrl: string; readonly connectionString?: undefined }

function invalid(field: string, message: string): AppError {
  return new AppError('VALIDATION_FAILED', `secrets.${field}: ${message}`, { field: `secrets.${field}` })
}

/** Parses `name=value;` pairs (names case-insensitive), the way the SDK reads a connection string. */
export function connectionStringParts(connectionString: string): Map<string, string> {
  const parts = new Map<string, string>()
  for (const pair of connectionString.split(';')) {
    const at = pair.indexOf('=')
    if (at <= 0) continue
    parts.set(pair.slice(0, at).trim().toLowerCase(), pair.slice(at + 1).trim())
  }
  return parts
}

/**
 * `@azure/data-tables`, loaded on first use rather than at import: it costs ~20 MB in every thread that loads it, and
 * most installations have no table destination. Synchronous (the package's CommonJS build), so validation and client
 * creation stay synchronous and every caller shares the one copy.
 */
export const tableSdk = (): typeof import('@azure/data-tables') => createRequire(import.meta.url)('@azure/data-tables')

function checkConnectionString(value: string): string {
  const text = value.trim()
  if (text.length > 4096 || /[\r\n\0]/.test(text)) throw invalid('connectionString', 'is not a connection string')
  const parts = connectionStringParts(text)
  const usable =
    parts.get('usedevelopmentstorage') === 'true' ||
    (parts.has('accountname') && parts.has('accountkey')) ||
    (parts.has('sharedaccesssignature') && parts.has('tableendpoint'))
  if (!usable) {
    throw invalid(
      'connectionString',
      'needs AccountName and AccountKey (Azure portal → Storage account → Access keys → Connection string), or TableEndpoint and SharedAccessSignature',
    )
  }
  try {
    // The SDK's own parser is the judge of what it can use; it does no I/O.
    const { TableClient } = tableSdk()
    TableClient.fromConnectionString(text, defaultTableName)
  } catch (error) {
    throw invalid('connectionString', `cannot be used: ${(error as Error).message.split('\n')[0]}`)
  }
  return text
}

function checkSasUrl(value: string): string {
  let url: URL
  try {
    url = new URL(value.trim())
  } catch {
    throw invalid('sasUrl', 'is not a URL')
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalid('sasUrl', 'must be an https:// URL')
  if (url.username || url.password) throw invalid('sasUrl', 'may not carry a user name or password')
  if (!url.searchParams.has('sig')) {
    throw invalid(
      'sasUrl',
      'has no SAS token (no sig= parameter); use the "Table service SAS URL" from Azure portal → Shared access signature',
    )
  }
  return url.toString()
}

/** Validates the secrets a publisher gives: exactly one of `connectionString` and `sasUrl`, both strings. */
export function prepareAzureTableSecrets(given: Readonly<Record<string, unknown>> | undefined): DestinationSecrets {
  const unknown = Object.keys(given ?? {}).filter((key) => key !== 'connectionString' && key !== 'sasUrl')
  if (unknown.length > 0) throw invalid(unknown[0]!, 'is not a secret of Azure Table destinations')
  const connectionString = given?.connectionString
  const sasUrl = given?.sasUrl
  const present = (value: unknown) => value !== undefined && value !== null && value !== ''
  if (present(connectionString) && present(sasUrl)) {
    throw invalid('connectionString', 'give either connectionString or sasUrl, not both')
  }
  if (present(connectionString)) {
    if (typeof connectionString !== 'string') throw invalid('connectionString', 'must be a string')
    return { connectionString: checkConnectionString(connectionString) }
  }
  if (present(sasUrl)) {
    if (typeof sasUrl !== 'string') throw invalid('sasUrl', 'must be a string')
    return { sasUrl: checkSasUrl(sasUrl) }
  }
  throw invalid('connectionString', 'is required (or sasUrl): the storage account the table lives in')
}

/** The stored secrets as credentials; undefined when they are unusable (they were validated when saved). */
export function credentialsOf(secrets: DestinationSecrets): AzureTableCredentials | undefined {
  if (typeof secrets.connectionString === 'string' && secrets.connectionString !== '') {
    return { connectionString: secrets.connectionString }
  }
  if (typeof secrets.sasUrl === 'string' && secrets.sasUrl !== '') return { sasUrl: secrets.sasUrl }
  return undefined
}
