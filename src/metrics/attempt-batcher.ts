/** Delivery attempts counted on the delivery thread, handed to the main thread's metrics in batches. */

/**
 * Collects attempts on the delivery thread and hands them over in batches: one message a second at most, and one
 * when the thread stops, rather than one per attempt.
 */
export function createAttemptBatcher(
  flush: (batch: (string | number)[]) => void,
  intervalMs = 1000,
): {
  record(destinationKind: string, outcome: string, seconds: number): void
  flush(): void
} {
  let pending: (string | number)[] = []
  let timer: NodeJS.Timeout | undefined
  const send = () => {
    timer = undefined
    if (pending.length === 0) return
    const batch = pending
    pending = []
    flush(batch)
  }
  return {
    record(destinationKind, outcome, seconds) {
      pending.push(destinationKind, outcome, seconds)
      if (!timer) timer = setTimeout(send, intervalMs).unref()
    },
    flush() {
      clearTimeout(timer)
      send()
    },
  }
}
