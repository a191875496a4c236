/**
 * A lead update on SQLite sets only the columns whose value changed (src/store/sqlite/ingest-statements.ts): SQLite
 * rewrites the entries of every index holding a column an update sets, changed or not, so an event that leaves the
 * customer's e-mail, name and company as they were must not name those columns. An `after update of` trigger fires
 * exactly when an update sets one of its columns, which is what this test watches.
 */

import { afterAll, expect, test } from 'vitest'
import { createIdGenerator } from '../../src/core/ids.ts'
import { createManualClock } from '../../src/core/ports.ts'
import { createIngestService } from '../../src/services/ingest.ts'
import { createTenant } from '../../src/services/tenants.ts'
import { createSqliteStore } from '../../src/store/sqlite/index.ts'
import { openSqliteDatabase } from '../../src/store/sqlite/open-database.ts'
import { createTempDir } from '../helpers/temp-dir.ts'

const dir = createTempDir()
afterAll(() => dir.remove())

for (const ingestThread of [false, true]) {
  test(`an event that changes no customer field leaves the customer columns unset (ingest thread: ${ingestThread})`, async () => {
    const filename = `${dir.path}/leads-${ingestThread}.db`
    const store = createSqliteStore({ filename, ingestThread })
    const watcher = openSqliteDatabase(filename)
    try {
      await store.migrate()
      const clock = createManualClock(Date.UTC(2026, 0, 5, 9))
      const ids = createIdGenerator(clock)
      const { tenant } = await createTenant({ store, clock, ids, publicUrl: 'http://localhost' }, 'contoso')
      watcher.exec(`
        create table customer_columns_set (lead_id text, version integer);
        create trigger customer_columns_set after update of email, first_name, last_name, company, name_key,
          last_name_key, company_key, email_domain on leads
        begin insert into customer_columns_set values (new.id, new.version); end`)
      const ingest = createIngestService({ store, clock, ids, dedupeWindowMs: 600_000 })
      const jane = { FirstName: 'Jane', LastName: 'Doe', Email: 'jane@contoso.com', Company: 'Contoso' }
      const send = async (leadSource: string, customer: Record<string, string>) => {
        clock.advance(60_000)
        const { receipt, duplicate } = await ingest.ingest({
          tenantId: tenant.id,
          format: 'api',
          body: { LeadSource: `${leadSource}|contoso.crm-suite`, CustomerInfo: customer },
        })
        expect(duplicate).toBe(false)
        return receipt
      }
      const first = await send('AzureMarketplace-INS', jane)
      await send('AzureMarketplace-PLT', jane)
      await send('AppSource-INS', jane)
      expect(watcher.prepare('select * from customer_columns_set').all()).toEqual([])

      await send('AppSource-PLT', { ...jane, Company: 'Contoso, Ltd.' })
      expect(watcher.prepare('select * from customer_columns_set').all()).toEqual([
        { lead_id: first.leadId, version: 4 },
      ])
      const lead = await store.getLead(tenant.id, first.leadId)
      expect(lead).toMatchObject({
        eventCount: 4,
        source: 'AppSource',
        action: 'PLT',
        customer: { email: 'jane@contoso.com', company: 'Contoso, Ltd.', firstName: 'Jane', lastName: 'Doe' },
        lastEventAt: clock.now(),
      })
      await ingest.drain()
    } finally {
      watcher.close()
      await store.close()
    }
  })
}
