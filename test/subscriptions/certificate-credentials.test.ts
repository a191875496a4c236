/**
 * Certificate credentials for the subscription source: Leadrelay signs an Entra client assertion with the app's
 * certificate key, and the local token endpoint (test/fakes/saas-fulfillment-fake.ts) verifies it with the
 * certificate's public key as Microsoft's "certificate credentials" page describes. The private key is sealed at rest
 * and never answered. Certificates are made with the openssl command line; without it the test is skipped, saying so.
 */

import { execFileSync } from 'node:child_process'
import { X509Certificate } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { systemClock } from '../../src/core/ports.ts'
import { createNodeHttpClient } from '../../src/destinations/http-client-node.ts'
import { createSubscriptionService, type SubscriptionService } from '../../src/services/subscriptions.ts'
import { createFulfillmentClient } from '../../src/subscriptions/fulfillment-client.ts'
import { type SaasFulfillmentFake, startSaasFulfillmentFake } from '../fakes/saas-fulfillment-fake.ts'
import { bearer, startTestServer, type TestServer } from '../helpers/test-server.ts'

interface Pair {
  readonly certificatePem: string
  readonly privateKeyPem: string
}

function openssl(): string | undefined {
  try {
    execFileSync('openssl', ['version'], { stdio: 'pipe' })
    return undefined
  } catch {
    return 'the openssl command is not installed (apt-get install openssl)'
  }
}

const skipReason = openssl()
if (skipReason !== undefined) console.warn(`certificate credentials test skipped: ${skipReason}`)

/** A self-signed RSA certificate and its key, as `az ad app credential reset --create-cert` would make. */
function makeCertificate(subject: string): Pair {
  const dir = mkdtempSync(join(tmpdir(), 'leadrelay-cert-'))
  try {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '30', '-subj', `/CN=${subject}`].concat([
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ]),
      { stdio: 'pipe' },
    )
    return {
      certificatePem: readFileSync(join(dir, 'cert.pem'), 'utf8'),
      privateKeyPem: readFileSync(join(dir, 'key.pem'), 'utf8'),
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const app = {
  tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
  clientId: '0b1f8e4e-5c1a-4b7e-9d0e-2f6d3f1a9c11',
  clientSecret: 'entra-secret-value-1',
}

describe.skipIf(skipReason !== undefined)('certificate credentials for the subscription source', () => {
  let registered: Pair
  let other: Pair
  let t: TestServer
  let fake: SaasFulfillmentFake
  let service: SubscriptionService

  beforeEach(async () => {
    registered = makeCertificate('leadrelay-marketplace-reader')
    other = makeCertificate('someone-else')
    fake = await startSaasFulfillmentFake({ app: { ...app, certificatePem: registered.certificatePem } })
    t = await startTestServer()
    service = createSubscriptionService({
      store: t.store,
      ingest: t.server.ingest,
      sealer: t.server.sealer,
      clock: t.clock,
      client: createFulfillmentClient({
        http: createNodeHttpClient({ allowPrivateNetworks: true }),
        clock: systemClock,
        loginUrl: fake.url,
        apiUrl: fake.url,
        sleep: async () => {},
      }),
    })
  })

  afterEach(async () => {
    await fake.close()
    await t.close()
  })

  test('the token endpoint verifies the assertion with the certificate; the key is sealed and never shown', async () => {
    fake.add({ emailId: 'ann@example.com', saasSubscriptionStatus: 'Subscribed' })
    const put = await t.server.app.inject({
      method: 'PUT',
      url: '/v1/subscription-source',
      headers: bearer(t.tenant),
      payload: { entraTenantId: app.tenantId, clientId: app.clientId, certificate: registered },
    })
    expect(put.statusCode).toBe(200)
    const sha1 = new X509Certificate(registered.certificatePem).fingerprint.replaceAll(':', '')
    expect(put.json()).toMatchObject({
      credential: 'certificate',
      hasSecret: false,
      certificate: { thumbprint: sha1, subject: 'CN=leadrelay-marketplace-reader' },
    })
    expect(put.body).not.toContain('PRIVATE KEY')
    const get = await t.server.app.inject({ method: 'GET', url: '/v1/subscription-source', headers: bearer(t.tenant) })
    expect(get.body).not.toContain('PRIVATE KEY')
    expect(get.json().certificate.thumbprint).toBe(sha1)
    // Sealed at rest: no line of the key's base64 body is stored in the clear.
    const keyLine = registered.privateKeyPem.split('\n')[2] as string
    expect(keyLine.length).toBeGreaterThan(40)
    expect((await t.rawContents()).includes(Buffer.from(keyLine))).toBe(false)

    const summary = await service.poll(t.tenant.tenant.id)
    expect(summary).toMatchObject({ read: 1, recorded: 1 })
    expect(summary.error).toBeUndefined()
    expect(fake.assertionsAccepted()).toBe(1)
    expect(fake.assertionsRefused).toEqual([])
  })

  test('an assertion signed with a certificate the app does not have is refused by the token endpoint', async () => {
    await service.putSource(t.tenant.tenant.id, {
      entraTenantId: app.tenantId,
      clientId: app.clientId,
      certificate: other,
    })
    const summary = await service.poll(t.tenant.tenant.id)
    expect(summary.error).toContain('invalid_client')
    expect(fake.assertionsRefused).toEqual(['no registered certificate has this thumbprint'])
    expect(fake.assertionsAccepted()).toBe(0)

    // Back to a client secret: the certificate is dropped and the secret is used.
    const view = await service.putSource(t.tenant.tenant.id, {
      entraTenantId: app.tenantId,
      clientId: app.clientId,
      clientSecret: app.clientSecret,
    })
    expect(view).toMatchObject({ credential: 'secret', hasSecret: true })
    expect(view.certificate).toBeUndefined()
    expect((await service.poll(t.tenant.tenant.id)).error).toBeUndefined()
  })

  test('a key that is not the certificate’s, a malformed certificate, or a secret and a certificate: 400 naming the field', async () => {
    const put = (payload: Record<string, unknown>) =>
      t.server.app.inject({ method: 'PUT', url: '/v1/subscription-source', headers: bearer(t.tenant), payload })
    const base = { entraTenantId: app.tenantId, clientId: app.clientId }
    const mismatched = await put({
      ...base,
      certificate: { certificatePem: registered.certificatePem, privateKeyPem: other.privateKeyPem },
    })
    expect(mismatched.statusCode).toBe(400)
    expect(mismatched.json()).toMatchObject({ code: 'VALIDATION_FAILED', field: 'certificate.privateKeyPem' })
    const malformed = await put({
      ...base,
      certificate: { certificatePem: 'not a certificate', privateKeyPem: registered.privateKeyPem },
    })
    expect(malformed.json()).toMatchObject({ code: 'VALIDATION_FAILED', field: 'certificate.certificatePem' })
    const both = await put({ ...base, clientSecret: app.clientSecret, certificate: registered })
    expect(both.json()).toMatchObject({ code: 'VALIDATION_FAILED', field: 'certificate' })
    expect(await service.getSource(t.tenant.tenant.id)).toBeUndefined()
  })
})
