/**
 * The Azure Table destination: one entity per lead in the table Microsoft's lead management writes
 * (`MarketplaceLeads`), upserted by a stable key, in entity-group transactions when the worker has several.
 * See README.md beside it.
 */

import type { TableClient, TransactionAction } from '@azure/data-tables'
import type { DeliveryError } from '../../core/errors.ts'
import type {
  BatchItem,
  BatchItemResult,
  Connector,
  ConnectorDeps,
  DeliveryReceipt,
  Destination,
  DestinationSecrets,
  LeadSnapshot,
} from '../types.ts'
import { openTableClient } from './client.ts'
import { type AzureTableConfig, azureTableConfigSchema, credentialsOf, prepareAzureTableSecrets } from './config.ts'
import { isTableNotFound, missingCredentialsError, tableServiceError, toDeliveryError } from './errors.ts'
import { createEntityBuilder, type LeadEntity, wireEntity } from './field-map.ts'

export type { AzureTableConfig } from './config.ts'

/** Upserts merge: columns Leadrelay writes are replaced, columns others added to the entity are kept. */
export const upsertMode = 'Merge' as const

/** The service's limits for one entity-group transaction. */
const maxTransactionEntities = 100
const maxTransactionBytes = 3_500_000
/** Transactions for different partitions run side by side, this many at a time. */
const partitionConcurrency = 4

/** Groups item indexes into transactions: one partition each, one operation per entity, within the size limits. */
export function transactionGroups(entities: readonly LeadEntity[]): number[][] {
  const groups: number[][] = []
  const open = new Map<string, { indexes: number[]; rowKeys: Set<string>; bytes: number }>()
  for (const [index, entity] of entities.entries()) {
    const bytes = JSON.stringify(entity).length * 2 + 600
    let group = open.get(entity.partitionKey)
    if (
      !group ||
      group.indexes.length >= maxTransactionEntities ||
      group.rowKeys.has(entity.rowKey) ||
      group.bytes + bytes > maxTransactionBytes
    ) {
      group = { indexes: [], rowKeys: new Set(), bytes: 0 }
      groups.push(group.indexes)
      open.set(entity.partitionKey, group)
    }
    group.indexes.push(index)
    group.rowKeys.add(entity.rowKey)
    group.bytes += bytes
  }
  return groups
}

async function inPool<T>(tasks: readonly (() => Promise<T>)[], size: number): Promise<void> {
  let next = 0
  const runners = Array.from({ length: Math.min(size, tasks.length) }, async () => {
    while (next < tasks.length) await tasks[next++]!()
  })
  await Promise.all(runners)
}

function connectAzureTable(config: AzureTableConfig, secrets: DestinationSecrets, deps: ConnectorDeps): Connector {
  const { clock } = deps
  const table = config.tableName
  const credentials = credentialsOf(secrets)
  const builder = createEntityBuilder(config)
  const usesSas = credentials?.sasUrl !== undefined
  let client: TableClient | undefined
  /** Created once per connector; forgotten when the table turns out to be gone, so it is created again. */
  let tableReady: Promise<void> | undefined

  function tableClient(): TableClient {
    if (!credentials) throw missingCredentialsError()
    client ??= openTableClient(credentials, table, { http: deps.http, maxRetries: 0 })
    return client
  }

  const fail = (error: unknown): DeliveryError => toDeliveryError(error, table, clock.now())

  /** Creates the table if missing (the SDK treats 409 TableAlreadyExists as success). */
  function ensureTable(signal: AbortSignal): Promise<void> {
    tableReady ??= (async () => {
      try {
        await tableClient().createTable({ abortSignal: signal })
      } catch (error) {
        // A table-scoped SAS may not create tables; the table then has to exist, which the next call proves.
        const status = tableServiceError(error, clock.now())?.status
        if (usesSas && status === 403) return
        throw fail(error)
      }
    })().catch((error: unknown) => {
      tableReady = undefined
      throw error
    })
    return tableReady
  }

  /** Runs `work`; when the table vanished since we created it, creates it again and runs `work` once more. */
  async function withTable<T>(signal: AbortSignal, work: () => Promise<T>): Promise<T> {
    await ensureTable(signal)
    try {
      return await work()
    } catch (error) {
      if (!isTableNotFound(error)) throw error
      tableReady = undefined
      await ensureTable(signal)
      return await work()
    }
  }

  const receiptOf = (entity: LeadEntity): DeliveryReceipt => ({
    externalId: `${entity.partitionKey}/${entity.rowKey}`,
    status: 204,
  })

  async function upsertOne(entity: LeadEntity, signal: AbortSignal): Promise<DeliveryReceipt> {
    try {
      await withTable(signal, () => tableClient().upsertEntity(entity, upsertMode, { abortSignal: signal }))
    } catch (error) {
      throw fail(error)
    }
    return receiptOf(entity)
  }

  /**
   * One partition's transaction. A transaction is all or nothing: when the service names the entity that failed,
   * that item gets the verdict and the others go again without it.
   */
  async function submitGroup(
    indexes: readonly number[],
    entities: readonly LeadEntity[],
    results: BatchItemResult[],
    signal: AbortSignal,
  ): Promise<void> {
    let pending = [...indexes]
    while (pending.length > 0) {
      const actions: TransactionAction[] = pending.map((index) => ['upsert', entities[index]!, upsertMode])
      try {
        await withTable(signal, () => tableClient().submitTransaction(actions, { abortSignal: signal }))
        for (const index of pending) results[index] = { ok: true, receipt: receiptOf(entities[index]!) }
        return
      } catch (error) {
        const failure = fail(error)
        const position = tableServiceError(error, clock.now())?.index
        const failed = position === undefined ? undefined : pending[position]
        if (failure.kind === 'rejected' && failed !== undefined && pending.length > 1) {
          results[failed] = { ok: false, error: failure }
          pending = pending.filter((index) => index !== failed)
          continue
        }
        for (const index of pending) results[index] = { ok: false, error: failure }
        return
      }
    }
  }

  return {
    maxBatchSize: maxTransactionEntities,

    async verify(signal) {
      try {
        await ensureTable(signal)
        // A cheap authenticated read: one key, at most one entity.
        const pages = tableClient()
          .listEntities({ queryOptions: { select: ['PartitionKey'] }, abortSignal: signal })
          .byPage({ maxPageSize: 1 })
        await pages.next()
      } catch (error) {
        throw fail(error)
      }
    },

    deliver(snapshot, attempt) {
      return upsertOne(builder.build(snapshot), attempt.signal)
    },

    async deliverBatch(items: readonly BatchItem[], signal: AbortSignal): Promise<readonly BatchItemResult[]> {
      const entities = items.map((item) => builder.build(item.snapshot))
      try {
        await ensureTable(signal)
      } catch (error) {
        throw fail(error)
      }
      const results: BatchItemResult[] = new Array(items.length)
      const groups = transactionGroups(entities)
      await inPool(
        groups.map((indexes) => () => submitGroup(indexes, entities, results, signal)),
        partitionConcurrency,
      )
      return results
    },

    preview(snapshot: LeadSnapshot) {
      return { table, mode: upsertMode, entity: wireEntity(builder.build(snapshot)) }
    },

    /**
     * Delete Entity by its keys, as the delivery reported them (`partition/row`), else as built from the lead's ids.
     * https://learn.microsoft.com/en-us/rest/api/storageservices/delete-entity1
     */
    async erase(request, attempt) {
      const reported = request.externalId?.split('/')
      const keys =
        reported?.length === 2
          ? { partitionKey: reported[0]!, rowKey: reported[1]! }
          : builder.build({ lead: request.lead, events: [] })
      try {
        await tableClient().deleteEntity(keys.partitionKey, keys.rowKey, { abortSignal: attempt.signal })
      } catch (error) {
        // No such entity, or no table at all: nothing of the customer is left there.
        if (tableServiceError(error, clock.now())?.status === 404) return { status: 404, note: 'entity already gone' }
        throw fail(error)
      }
      return { status: 204, note: 'entity deleted' }
    },
  }
}

export const azureTableDestination: Destination<AzureTableConfig> = {
  kind: 'azure-table',
  displayName: 'Azure Table',
  configSchema: azureTableConfigSchema,
  prepareSecrets: (given) => prepareAzureTableSecrets(given),
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
  connect: connectAzureTable,
}
