/**
 * What `leads import` and `import azure-table` ask of the store's bulk import (`Store.runBulkImport`): the `--indexes`
 * mode, and a progress line while the indexes set aside are built again at the end.
 */

import { AppError } from '../core/errors.ts'
import type { Clock } from '../core/ports.ts'
import { type BulkImportIndexMode, type BulkImportPlan, bulkImportIndexModes } from '../store/types.ts'
import type { CommandIo } from './command.ts'
import { createProgress, type Progress } from './progress.ts'

export const indexesOptionHelp = [
  '--indexes <mode>      after: set aside the indexes only lists and searches read and build them at the end',
  '                      (much faster for a large import; lists are slower until then); during: keep them up;',
  '                      auto (default): after when there are at least 10,000 rows and as many as the store has leads',
]

export function indexModeFlag(value: string | undefined): BulkImportIndexMode {
  if (value === undefined) return 'auto'
  const mode = bulkImportIndexModes.find((candidate) => candidate === value)
  if (mode === undefined) {
    throw new AppError('VALIDATION_FAILED', `--indexes is one of ${bulkImportIndexModes.join(', ')}`, {
      field: 'indexes',
    })
  }
  return mode
}

export interface BulkImportProgress {
  readonly plan: BulkImportPlan
  /** Ends the rows' progress with the import's summary line. */
  finish(summary: string): void
}

/** The plan for an import of `rows` rows, showing `rowsProgress` complete before the indexes are built. */
export function bulkImportProgress(
  io: CommandIo,
  clock: Clock,
  rowsProgress: Progress,
  rows: number,
  indexes: BulkImportIndexMode,
): BulkImportProgress {
  let building: { progress: Progress; since: number } | undefined
  return {
    plan: {
      expectedRows: rows,
      indexes,
      onIndexProgress: (built, total) => {
        if (built === 0) return
        if (building === undefined) {
          rowsProgress.update(rows)
          if (io.stderr.isTTY) io.stderr.write('\n')
          building = { progress: createProgress(io.stderr, 'Building indexes', total), since: clock.now() }
        }
        if (built < total) building.progress.update(built)
        else building.progress.finish(`Indexes built in ${((clock.now() - building.since) / 1000).toFixed(1)} s.`)
      },
    },
    finish(summary) {
      // Once the indexes' progress was shown, the rows' bar is not drawn again under it.
      if (building) io.stderr.write(`${summary}\n`)
      else rowsProgress.finish(summary)
    },
  }
}
