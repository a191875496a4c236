import { describe, expect, test } from 'vitest'
import { createBatcher } from '../../src/store/batcher.ts'

/** A flush that records each batch and finishes only when the test releases it. */
function heldFlush() {
  const batches: number[][] = []
  const releases: Array<() => void> = []
  const flush = (items: readonly number[]) => {
    batches.push([...items])
    return new Promise<number[]>((resolve) => releases.push(() => resolve(items.map((item) => item * 10))))
  }
  return { flush, batches, releases }
}

const tick = () => new Promise((resolve) => setImmediate(resolve))

describe('batcher', () => {
  test('with one flush in flight, what arrives meanwhile waits and shares the next flush', async () => {
    const { flush, batches, releases } = heldFlush()
    const batcher = createBatcher(flush, { maxBatch: 10 })
    const first = batcher.submit(1)
    await tick()
    const later = [batcher.submit(2), batcher.submit(3)]
    await tick()
    expect(batches).toEqual([[1]])
    releases[0]!()
    expect(await first).toBe(10)
    await tick()
    await tick()
    expect(batches).toEqual([[1], [2, 3]])
    releases[1]!()
    expect(await Promise.all(later)).toEqual([20, 30])
  })

  test('with more flushes allowed, the next batch goes while the first is still running, up to the limit', async () => {
    const { flush, batches, releases } = heldFlush()
    const batcher = createBatcher(flush, { maxBatch: 10, maxInFlight: 2 })
    const answers = [batcher.submit(1)]
    await tick()
    answers.push(batcher.submit(2))
    await tick()
    answers.push(batcher.submit(3))
    await tick()
    // Two running; the third waits for a free slot.
    expect(batches).toEqual([[1], [2]])
    let drained = false
    const drain = batcher.drain().then(() => {
      drained = true
    })
    releases[1]!()
    await tick()
    await tick()
    expect(batches).toEqual([[1], [2], [3]])
    releases[0]!()
    await tick()
    expect(drained).toBe(false)
    releases[2]!()
    await drain
    expect(await Promise.all(answers)).toEqual([10, 20, 30])
  })

  test('a batch larger than maxBatch is split, and a failed flush rejects only its own items', async () => {
    let calls = 0
    const batcher = createBatcher(
      async (items: readonly number[]) => {
        calls++
        if (items.includes(3)) throw new Error('disk full')
        return items
          .map((item) => ({ failed: item === 2 ? new Error('bad item') : undefined, item }))
          .map(({ failed, item }) => (failed ? { failed } : item))
      },
      { maxBatch: 2 },
    )
    const results = await Promise.allSettled([1, 2, 3, 4].map((item) => batcher.submit(item)))
    expect(calls).toBe(2)
    expect(results.map((result) => (result.status === 'fulfilled' ? result.value : String(result.reason)))).toEqual([
      1,
      'Error: bad item',
      'Error: disk full',
      'Error: disk full',
    ])
  })
})
