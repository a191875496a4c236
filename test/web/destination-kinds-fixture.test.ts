/**
 * The portal's component tests draw the real connectors' forms from web/src/test/destination-kinds.ts, a copy of
 * what `GET /v1/destination-kinds` answers. This test keeps the copy true: it fails when a connector's config schema
 * or secret fields change without the copy. `LEADRELAY_WRITE_FIXTURES=1` rewrites it.
 */

import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, test } from 'vitest'
import { destinationRegistry } from '../../src/destinations/registry.ts'
import { createDestinationService, type DestinationServiceDeps } from '../../src/services/destinations.ts'
import { connectorKinds } from '../../web/src/test/destination-kinds.ts'

const fixturePath = fileURLToPath(new URL('../../web/src/test/destination-kinds.ts', import.meta.url))

// The webhook kind is covered by its own hand-written fixture (web/src/test/fixtures.ts).
const copied = ['salesforce', 'dynamics365', 'hubspot', 'marketo', 'azure-table']

function liveKinds() {
  // Only the registry is read to list kinds.
  const service = createDestinationService({ registry: destinationRegistry } as unknown as DestinationServiceDeps)
  const kinds = service.kinds().filter((kind) => copied.includes(kind.kind))
  return Object.fromEntries(kinds.map((kind) => [kind.kind, kind]))
}

type Schema = {
  properties?: Record<string, Schema>
  required?: string[]
  oneOf?: Schema[]
  anyOf?: Schema[]
  [key: string]: unknown
}

/** What the form draws from a setting: its name, kind, default, condition, choices and nested settings. */
function essentials(schema: Schema | undefined): unknown {
  if (!schema) return undefined
  const kept = ['title', 'type', 'default', 'const', 'enum', 'format', 'x-when', 'x-enum-labels']
  return {
    ...Object.fromEntries(kept.filter((key) => schema[key] !== undefined).map((key) => [key, schema[key]])),
    ...(schema.properties && {
      properties: Object.fromEntries(Object.entries(schema.properties).map(([key, value]) => [key, essentials(value)])),
    }),
    ...(schema.required && { required: schema.required }),
    ...((schema.oneOf ?? schema.anyOf) && { options: (schema.oneOf ?? schema.anyOf)!.map(essentials) }),
  }
}

describe('the portal test copy of the destination kinds', () => {
  // Descriptions may change freely; names, kinds, defaults, conditions, choices and credentials may not drift.
  test('draws the same settings and credentials as GET /v1/destination-kinds answers for every CRM connector', () => {
    const live = JSON.parse(JSON.stringify(liveKinds()))
    if (process.env.LEADRELAY_WRITE_FIXTURES === '1') {
      writeFileSync(
        fixturePath,
        `/** What \`GET /v1/destination-kinds\` answers for the CRM connectors; kept true by test/web/destination-kinds-fixture.test.ts. */\n\nimport type { DestinationKind } from '../api/types.ts'\n\nexport const connectorKinds: Readonly<Record<string, DestinationKind>> = ${JSON.stringify(live, null, 2)}\n`,
      )
      return
    }
    const view = (kinds: Record<string, { configSchema: unknown; secretFields: unknown; displayName: unknown }>) =>
      Object.fromEntries(
        Object.entries(kinds).map(([kind, value]) => [
          kind,
          {
            displayName: value.displayName,
            secretFields: value.secretFields,
            settings: essentials(value.configSchema as Schema),
          },
        ]),
      )
    expect(view(connectorKinds as never), 'run with LEADRELAY_WRITE_FIXTURES=1 to update the copy').toEqual(view(live))
  })
})
