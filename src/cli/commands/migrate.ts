import { describeStore } from '../../store/open-store.ts'
import { type Command, storeOptionHelp, storeOptions } from '../command.ts'
import { openContext } from '../context.ts'

export const migrateCommand: Command = {
  usage: 'leadrelay migrate [--data <dir>]',
  options: { ...storeOptions },
  optionHelp: storeOptionHelp,
  async run(flags, _positionals, io) {
    const context = await openContext(flags, io.env)
    try {
      const { applied, current } = context.migrations
      io.stdout.write(
        applied.length > 0
          ? `Applied ${applied.join(', ')}; ${describeStore(context.config)} is at version ${current}\n`
          : `${describeStore(context.config)} is up to date (version ${current})\n`,
      )
      return 0
    } finally {
      await context.store.close()
    }
  },
}
