import { existsSync } from 'node:fs'
import { createTransport } from 'nodemailer'
import { type Config, loadConfig } from '../../config.ts'
import { AppError } from '../../core/errors.ts'
import { keyFilePath, loadKeyring } from '../../secrets/keyring.ts'
import { createSecretBox } from '../../secrets/secret-box.ts'
import { describeStore, openStore } from '../../store/open-store.ts'
import type { Store } from '../../store/types.ts'
import { type Command, storeOptionHelp, storeOptions, stringFlag } from '../command.ts'

export type CheckStatus = 'ok' | 'warn' | 'fail'

export interface CheckResult {
  readonly status: CheckStatus
  readonly check: string
  readonly detail: string
}

/** Earliest time a healthy clock can show: a board without a battery-backed clock starts in 1970. */
const earliestSaneTime = Date.UTC(2025, 0, 1)

/** Runs every check against what is configured; reads the store, never changes it. */
export async function runDoctorChecks(config: Config, now: number): Promise<CheckResult[]> {
  const results: CheckResult[] = []
  const add = (status: CheckStatus, check: string, detail: string) => results.push({ status, check, detail })

  add(
    now >= earliestSaneTime && now < Date.UTC(2100, 0, 1) ? 'ok' : 'fail',
    'clock',
    `${new Date(now).toISOString()}${now < earliestSaneTime ? ' is in the past: set the time (NTP); signatures and retries depend on it' : ''}`,
  )

  if (!config.publicUrlConfigured) {
    add(
      'warn',
      'public URL',
      `not set: ingest URLs show ${config.publicUrl}; set LEADRELAY_PUBLIC_URL to the HTTPS address Microsoft posts to`,
    )
  } else if (new URL(config.publicUrl).protocol !== 'https:') {
    add('fail', 'public URL', `${config.publicUrl} is not HTTPS; Microsoft posts leads only to https:// URLs`)
  } else {
    add('ok', 'public URL', config.publicUrl)
  }

  if (config.databaseUrl === undefined && !existsSync(config.sqliteFile)) {
    add('fail', 'store', `no store at ${config.sqliteFile}: start serve or run leadrelay migrate (or check --data)`)
    return results
  }
  const store = await openStore(config)
  try {
    try {
      await store.ping()
      add('ok', 'store', `reachable: ${describeStore(config)}`)
    } catch (error) {
      add('fail', 'store', `${describeStore(config)} cannot be reached: ${(error as Error).message}`)
      return results
    }
    const pending = await store.pendingMigrations()
    add(
      pending.length === 0 ? 'ok' : 'fail',
      'migrations',
      pending.length === 0
        ? 'all applied'
        : `not applied: ${pending.join(', ')} (serve applies them, or leadrelay migrate)`,
    )
    if (pending.length > 0) return results
    await checkSecrets(config, store, add)
    await checkDestinations(store, add)
  } finally {
    await store.close()
  }
  await checkSmtp(config, add)
  return results
}

async function checkSecrets(
  config: Config,
  store: Store,
  add: (status: CheckStatus, check: string, detail: string) => void,
): Promise<void> {
  const sealed = (await store.listAllDestinations()).filter(
    (destination) => destination.sealedSecrets !== undefined && destination.stateReason !== 'deleted',
  )
  const source = config.secretKey !== undefined ? 'LEADRELAY_SECRET_KEY' : keyFilePath(config.dataDir)
  if (config.secretKey === undefined && !existsSync(keyFilePath(config.dataDir))) {
    // Loading the keyring would create a key file; a check must not.
    add(
      sealed.length === 0 ? 'warn' : 'fail',
      'secret key',
      sealed.length === 0
        ? `none yet: serve creates ${source} on first start (or set LEADRELAY_SECRET_KEY)`
        : `missing: ${sealed.length} destinations hold secrets sealed with a key that is neither in LEADRELAY_SECRET_KEY nor at ${source}`,
    )
    return
  }
  let box: ReturnType<typeof createSecretBox>
  try {
    box = createSecretBox(loadKeyring({ dataDir: config.dataDir, secretKeyEnv: config.secretKey }))
  } catch (error) {
    add('fail', 'secret key', `${source}: ${(error as Error).message}`)
    return
  }
  const unopened = sealed.filter((destination) => {
    try {
      box.open(destination.sealedSecrets!, destination.id)
      return false
    } catch {
      return true
    }
  })
  if (unopened.length > 0) {
    add(
      'fail',
      'secret key',
      `${source} does not open the secrets of ${unopened.map((destination) => `"${destination.name}" (${destination.id})`).join(', ')}: a different key sealed them`,
    )
  } else {
    add('ok', 'secret key', `${source} opens the secrets of all ${sealed.length} destinations that have any`)
  }
}

async function checkDestinations(
  store: Store,
  add: (status: CheckStatus, check: string, detail: string) => void,
): Promise<void> {
  const destinations = (await store.listAllDestinations()).filter(
    (destination) => destination.stateReason !== 'deleted',
  )
  if (destinations.length === 0) add('warn', 'destinations', 'none configured: leads are stored but sent nowhere')
  for (const destination of destinations) {
    const name = `destination "${destination.name}"`
    if (destination.state === 'active' && destination.failingSince === undefined) {
      add('ok', name, `${destination.kind}, active`)
      continue
    }
    const since =
      destination.failingSince !== undefined
        ? `, failing since ${new Date(destination.failingSince).toISOString()}`
        : ''
    add(
      destination.state === 'active' ? 'warn' : 'fail',
      name,
      `${destination.kind}, ${destination.state}${since}${destination.stateReason ? `: ${destination.stateReason}` : ''}`,
    )
  }
}

async function checkSmtp(config: Config, add: (status: CheckStatus, check: string, detail: string) => void) {
  if (!config.smtp) {
    add('warn', 'SMTP', 'not configured: nobody is emailed when a destination fails (LEADRELAY_SMTP_URL)')
    return
  }
  const server = new URL(config.smtp.url)
  const transport = createTransport({
    url: config.smtp.url,
    connectionTimeout: 5000,
    greetingTimeout: 5000,
    socketTimeout: 5000,
  })
  try {
    await transport.verify()
    add('ok', 'SMTP', `${server.hostname}:${server.port || 'default port'} answers`)
  } catch (error) {
    add('fail', 'SMTP', `${server.hostname}:${server.port || 'default port'}: ${(error as Error).message}`)
  } finally {
    transport.close()
  }
}

export const doctorCommand: Command = {
  usage: 'leadrelay doctor [--data <dir>] [--public-url <url>]',
  options: { ...storeOptions, 'public-url': { type: 'string' } },
  optionHelp: [
    '--public-url <url>    the HTTPS base URL Microsoft posts to (env LEADRELAY_PUBLIC_URL)',
    ...storeOptionHelp,
    'Exits 1 when a check fails; warnings alone exit 0.',
  ],
  async run(flags, _positionals, io) {
    let config: Config
    try {
      config = loadConfig(
        {
          data: stringFlag(flags, 'data'),
          databaseUrl: stringFlag(flags, 'database-url'),
          publicUrl: stringFlag(flags, 'public-url'),
          logLevel: stringFlag(flags, 'log-level'),
        },
        io.env,
      )
    } catch (error) {
      if (!(error instanceof AppError)) throw error
      io.stdout.write(`fail  configuration  ${error.message}\n`)
      return 1
    }
    const results = await runDoctorChecks(config, Date.now())
    const width = Math.max(...results.map((result) => result.check.length))
    for (const { status, check, detail } of results) {
      io.stdout.write(`${status.padEnd(4)}  ${check.padEnd(width)}  ${detail}\n`)
    }
    const failed = results.filter((result) => result.status === 'fail').length
    io.stdout.write(failed === 0 ? 'No problems found.\n' : `${failed} problem${failed === 1 ? '' : 's'} found.\n`)
    return failed === 0 ? 0 : 1
  },
}
