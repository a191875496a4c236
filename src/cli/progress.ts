/** A progress bar on a terminal, plain progress lines otherwise (CI logs, pipes). */

export interface Progress {
  update(done: number): void
  finish(message: string): void
}

export function createProgress(
  stream: NodeJS.WritableStream & { isTTY?: boolean },
  label: string,
  total: number,
): Progress {
  const width = 30
  let lastLine = -1
  const render = (done: number) => {
    const ratio = total === 0 ? 1 : Math.min(1, done / total)
    if (stream.isTTY) {
      const filled = Math.round(ratio * width)
      stream.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`)
    } else {
      // Without a terminal: a line per 10 %, never a flood.
      const step = Math.floor(ratio * 10)
      if (step !== lastLine) {
        lastLine = step
        stream.write(`${label}: ${done}/${total}\n`)
      }
    }
  }
  return {
    update: render,
    finish(message) {
      render(total)
      stream.write(`${stream.isTTY ? '\n' : ''}${message}\n`)
    },
  }
}
