import { PassThrough } from 'node:stream'
import { describe, expect, test } from 'vitest'
import { commands, main } from '../../src/cli/main.ts'

async function helpOf(words: readonly string[]): Promise<{ code: number; stdout: string }> {
  const stdout = new PassThrough()
  let text = ''
  stdout.on('data', (chunk: Buffer) => {
    text += chunk.toString('utf8')
  })
  const code = await main([...words, '--help'], {
    stdout,
    stderr: new PassThrough(),
    env: {},
    stopSignal: new Promise(() => {}),
  })
  return { code, stdout: text }
}

describe('the command list', () => {
  test('names each command once', () => {
    const names = commands.map((entry) => entry.name.join(' '))
    expect(new Set(names).size).toBe(names.length)
  })

  test.each(commands.map((entry) => [entry.name.join(' '), entry] as const))(
    '%s loads when it runs, and its help opens with its summary and its own usage line',
    async (words, entry) => {
      const command = await entry.load()
      expect(typeof command.run).toBe('function')
      const help = await helpOf(entry.name)
      expect(help.code).toBe(0)
      expect(help.stdout.startsWith(`${entry.summary}\n`)).toBe(true)
      expect(help.stdout).toContain(`Usage: leadrelay ${words}`)
    },
  )
})
