import { createLogger } from '../../logger.ts'
import { createServer } from '../../server.ts'
import { type CreatedTenant, ensureDefaultTenant } from '../../services/tenants.ts'
import { describeStore } from '../../store/open-store.ts'
import { loadTracing } from '../../tracing/tracing.ts'
import { version } from '../../version.ts'
import { type Command, type CommandIo, storeOptionHelp, storeOptions } from '../command.ts'
import { openContext } from '../context.ts'

export const serveCommand: Command = {
  usage: 'leadrelay serve [--host 127.0.0.1] [--port 8080] [--data ./data] [--print-credentials]',
  options: {
    ...storeOptions,
    host: { type: 'string' },
    port: { type: 'string' },
    'public-url': { type: 'string' },
    'no-worker': { type: 'boolean' },
    'print-credentials': { type: 'boolean' },
  },
  optionHelp: [
    '--host <host>         interface to listen on (env LEADRELAY_HOST, default 127.0.0.1)',
    '--port <port>         port (env LEADRELAY_PORT, default 8080; 0 picks a free one)',
    '--public-url <url>    base URL in printed ingest URLs (env LEADRELAY_PUBLIC_URL)',
    '--no-worker           serve HTTP only; run `leadrelay worker` processes to deliver',
    "--print-credentials   on first start, print the new default tenant's API key and ingest URL on stderr even",
    '                      when it is not a terminal (by default they are printed only to a terminal, never',
    '                      on stdout, which carries the JSON logs)',
    ...storeOptionHelp,
  ],
  async run(flags, _positionals, io) {
    const context = await openContext(flags, io.env)
    const { config } = context
    const log = createLogger(config.logLevel)
    const tracing = await loadTracing(config.tracing, version)
    const server = createServer({
      ...context,
      log,
      workerPlacement: flags['no-worker'] === true ? 'none' : 'thread',
      ...(tracing && { tracing }),
    })
    const address = await server.app.listen({ host: config.host, port: config.port })
    const publicUrl = config.port === 0 ? address : config.publicUrl
    const created = await ensureDefaultTenant({ ...context, publicUrl })
    if (created) announceDefaultTenant(created, io, flags['print-credentials'] === true)
    io.stdout.write(`Leadrelay listening on ${address} (store ${describeStore(config)})\n`)
    await io.stopSignal
    log.info('shutting down')
    await server.close()
    await context.store.close()
    await tracing?.shutdown()
    return 0
  },
}

/**
 * Where the default tenant's first credentials go: stdout carries the JSON logs, which never hold a key, so they are
 * written to stderr, and only when both streams are a terminal (a person is watching, nothing is collecting) or
 * `--print-credentials` asks. Otherwise stderr says, without a secret, how to get credentials.
 */
export function announceDefaultTenant(created: CreatedTenant, io: CommandIo, printCredentials: boolean): void {
  const interactive = io.stdout.isTTY === true && io.stderr.isTTY === true
  if (printCredentials || interactive) {
    io.stderr.write(
      [
        '',
        'Created tenant "default". These secrets are shown once; store them now.',
        `  API key:     ${created.apiKey}`,
        `  Ingest URL:  ${created.ingestUrl}`,
        '',
        '',
      ].join('\n'),
    )
    return
  }
  io.stderr.write(
    [
      'Created tenant "default". Its API key and ingest URL were not printed: this output is not a terminal',
      '(start serve with --print-credentials on a fresh data directory to print them here). Make new ones with:',
      '  leadrelay keys create --tenant default --name admin --scope admin   an API key, shown once',
      '  leadrelay ingest-token rotate --tenant default                      an ingest URL for Partner Center',
      '',
    ].join('\n'),
  )
}
