import { render, screen } from '@testing-library/react'
import { expect, test } from 'vitest'
import { createApiClient } from '../api/client.ts'
import type { Destination } from '../api/types.ts'
import { ApiContext } from '../lib/api-context.ts'
import { connectorKinds } from '../test/destination-kinds.ts'
import { destination, fakeFetch } from '../test/fixtures.ts'
import { DestinationPage } from './destination.tsx'

function show(shown: Destination) {
  const fake = fakeFetch({
    'GET /v1/destinations/dst_1': () => shown,
    'GET /v1/destination-kinds': () => ({ items: Object.values(connectorKinds) }),
  })
  render(
    <ApiContext.Provider value={createApiClient({ apiKey: 'lr_key_test', fetch: fake.fetch })}>
      <DestinationPage destinationId="dst_1" />
    </ApiContext.Provider>,
  )
}

test("the destination's page shows the adaptive window the worker holds, and its ceiling", async () => {
  show(
    destination({
      limits: { maxConcurrency: 64, ratePerSecond: null },
      concurrency: { window: 23, ceiling: 25, inFlight: 7 },
    }),
  )
  expect((await screen.findByTestId('delivery-window')).textContent).toBe(
    'Sending up to 23 at once (7 now), adapting to how fast it answers; at most 25.',
  )
})

test('before its first delivery, where the window starts and how far it may go', async () => {
  show(destination({ limits: { maxConcurrency: 2, ratePerSecond: null }, concurrency: null }))
  expect((await screen.findByTestId('delivery-window')).textContent).toBe(
    'Sending starts at up to 2 at once and adapts to how fast it answers; at most 2.',
  )
})
