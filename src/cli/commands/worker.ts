import { createDeliveryRuntime } from '../../delivery/delivery-runtime.ts'
import { createLogger } from '../../logger.ts'
import { describeStore } from '../../store/open-store.ts'
import { loadTracing } from '../../tracing/tracing.ts'
import { version } from '../../version.ts'
import { type Command, storeOptionHelp, storeOptions } from '../command.ts'
import { openContext } from '../context.ts'

export const workerCommand: Command = {
  usage: 'leadrelay worker [--data <dir>]',
  options: { ...storeOptions },
  optionHelp: storeOptionHelp,
  async run(flags, _positionals, io) {
    const context = await openContext(flags, io.env)
    const log = createLogger(context.config.logLevel)
    const tracing = await loadTracing(context.config.tracing, version)
    const runtime = createDeliveryRuntime({ ...context, log, ...(tracing && { tracing }) })
    runtime.worker.start()
    runtime.alerts.start()
    runtime.retention.start()
    io.stdout.write(`Leadrelay worker delivering from ${describeStore(context.config)}\n`)
    await io.stopSignal
    log.info('worker stopping')
    await runtime.worker.stop(context.config.shutdownGraceMs)
    await runtime.alerts.stop()
    await runtime.retention.stop()
    await context.store.close()
    await tracing?.shutdown()
    return 0
  },
}
