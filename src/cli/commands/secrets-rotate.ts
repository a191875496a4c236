import { loadKeyring, rotateKeyFile } from '../../secrets/keyring.ts'
import { createSecretBox } from '../../secrets/secret-box.ts'
import { subscriptionSecretContext } from '../../services/subscriptions.ts'
import { type Command, storeOptionHelp, storeOptions } from '../command.ts'
import { openContext } from '../context.ts'
import { createProgress } from '../progress.ts'

export const secretsRotateCommand: Command = {
  usage: 'leadrelay secrets rotate [--data <dir>]',
  options: { ...storeOptions },
  optionHelp: [
    'With LEADRELAY_SECRET_KEY set, add the new key to it (v1:<old>,v2:<new>) instead; this then re-encrypts.',
    ...storeOptionHelp,
  ],
  async run(flags, _positionals, io) {
    const context = await openContext(flags, io.env)
    try {
      const { config, store, clock } = context
      if (config.secretKey === undefined) {
        const version = rotateKeyFile(config.dataDir)
        io.stderr.write(`New key version ${version} is current.\n`)
      }
      const box = createSecretBox(loadKeyring({ dataDir: config.dataDir, secretKeyEnv: config.secretKey }))
      const destinations = (await store.listAllDestinations()).filter(
        (destination) => destination.sealedSecrets !== undefined && box.needsRotation(destination.sealedSecrets),
      )
      const progress = createProgress(io.stderr, 'Re-encrypting', destinations.length)
      for (const [index, destination] of destinations.entries()) {
        const sealedSecrets = box.reseal(destination.sealedSecrets!, destination.id)
        await store.updateDestination(destination.tenantId, destination.id, { sealedSecrets }, clock.now())
        progress.update(index + 1)
      }
      progress.finish(`Re-encrypted the secrets of ${destinations.length} destinations.`)
      // Marketplace subscription sources: the client secret or the certificate's private key.
      const sources = (await store.listSubscriptionSources({ includeDisabled: true })).filter(
        (source) =>
          (source.sealedSecret !== '' && box.needsRotation(source.sealedSecret)) ||
          (source.sealedCertificateKey !== undefined && box.needsRotation(source.sealedCertificateKey)),
      )
      for (const source of sources) {
        const context = subscriptionSecretContext(source.tenantId)
        await store.putSubscriptionSource(
          {
            tenantId: source.tenantId,
            entraTenantId: source.entraTenantId,
            clientId: source.clientId,
            enabled: source.enabled,
            sealedSecret: source.sealedSecret === '' ? '' : box.reseal(source.sealedSecret, context),
            ...(source.sealedCertificateKey !== undefined && {
              sealedCertificateKey: box.reseal(source.sealedCertificateKey, context),
            }),
          },
          clock.now(),
        )
      }
      if (sources.length > 0)
        io.stderr.write(`Re-encrypted the credentials of ${sources.length} subscription sources.\n`)
      return 0
    } finally {
      await context.store.close()
    }
  },
}
