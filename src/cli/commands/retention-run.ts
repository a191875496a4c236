import { AppError } from '../../core/errors.ts'
import {
  defaultRetentionBatchSize,
  type RetentionProgress,
  type RetentionStep,
  runRetention,
} from '../../delivery/retention-task.ts'
import { type Command, storeOptionHelp, storeOptions, stringFlag } from '../command.ts'
import { openContext } from '../context.ts'
import { resolveTenant } from '../tenant-flag.ts'

const stepNames: Readonly<Record<RetentionStep, string>> = {
  attempts: 'delivery attempts deleted',
  events: 'idle leads reduced',
  audit: 'audit entries deleted',
}

export const retentionRunCommand: Command = {
  usage: 'leadrelay retention run [--tenant <id|name>] [--batch-size <rows>]',
  options: { ...storeOptions, tenant: { type: 'string' }, 'batch-size': { type: 'string' } },
  optionHelp: [
    '--tenant <id|name>     only this tenant (default: every tenant)',
    `--batch-size <rows>   rows per transaction (default ${defaultRetentionBatchSize})`,
    ...storeOptionHelp,
  ],
  async run(flags, _positionals, io) {
    const batchFlag = stringFlag(flags, 'batch-size')
    const batchSize = batchFlag === undefined ? defaultRetentionBatchSize : Number(batchFlag)
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 50_000)
      throw new AppError('VALIDATION_FAILED', '--batch-size must be a whole number from 1 to 50000', {
        field: 'batch-size',
      })
    const context = await openContext(flags, io.env)
    try {
      const wanted = stringFlag(flags, 'tenant')
      const tenant = wanted === undefined ? undefined : await resolveTenant(context.store, wanted)
      const names = new Map((await context.store.listTenants()).map((t) => [t.id, t.name]))
      const controller = new AbortController()
      void io.stopSignal.then(() => controller.abort())
      let shown: RetentionProgress | undefined
      let printedAt = 0
      const line = (progress: RetentionProgress) =>
        `${names.get(progress.tenantId) ?? progress.tenantId}: ${progress.done} ${stepNames[progress.step]}`
      const onProgress = (progress: RetentionProgress) => {
        const sameStep = shown?.tenantId === progress.tenantId && shown.step === progress.step
        if (io.stderr.isTTY) io.stderr.write(`${sameStep ? '\r\x1b[K' : shown ? '\n' : ''}${line(progress)}`)
        else if (shown && !sameStep) io.stderr.write(`${line(shown)}\n`)
        // Without a terminal (logs, pipes): the end of each step, and a line a second while one goes on.
        else if (Date.now() - printedAt >= 1000) {
          io.stderr.write(`${line(progress)}\n`)
          printedAt = Date.now()
        }
        shown = progress
      }
      const summary = await runRetention(context, {
        batchSize,
        signal: controller.signal,
        onProgress,
        ...(tenant && { tenantId: tenant.id }),
      })
      if (shown) io.stderr.write(io.stderr.isTTY ? '\n' : `${line(shown)}\n`)
      io.stdout.write(
        `${summary.complete ? 'Retention applied' : 'Retention stopped before the end'}: ${summary.tenants} tenant(s), ${summary.attemptsDeleted} delivery attempt(s) deleted, ${summary.idleLeads} idle lead(s) looked at (${summary.eventsDeleted} event(s) deleted, ${summary.eventsReduced} reduced), ${summary.auditDeleted} audit entr${summary.auditDeleted === 1 ? 'y' : 'ies'} deleted.\n`,
      )
      return summary.complete ? 0 : 1
    } finally {
      await context.store.close()
    }
  },
}
