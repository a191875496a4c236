// Preloaded with --require into `leadrelay serve` by the benchmark (scripts/bench/together.ts): Node runs --require
// preloads in the main thread and in every worker thread (an --import preload it runs only in the main thread, on
// Node 20). Each thread writes its role, its OS thread id and its event-loop utilisation to
// <LEADRELAY_BENCH_THREADS_DIR>/<role>.json every 200 ms; the benchmark reads each thread's CPU time from
// /proc/<pid>/task/<tid>/stat (which counts that thread alone) and the ELU over the measured phase.
const { isMainThread, threadId, workerData } = require('node:worker_threads')
const { readlinkSync, renameSync, writeFileSync } = require('node:fs')
const { performance } = require('node:perf_hooks')

const dir = process.env.LEADRELAY_BENCH_THREADS_DIR
if (dir) {
  const data = workerData !== null && typeof workerData === 'object' ? workerData : {}
  // The threads `serve` starts, told apart by what they are given: the ingest thread a SQLite file, the delivery
  // thread the config (src/store/sqlite/ingest-thread.ts, src/delivery/delivery-thread.ts).
  // Any other thread is tsx's loader-hooks thread, one per thread that registers tsx (a checkout only, not the build).
  const role = isMainThread
    ? 'http'
    : 'filename' in data
      ? 'ingest'
      : 'config' in data
        ? 'delivery'
        : `tsx-loader-${threadId}`
  // /proc/thread-self is a link to <pid>/task/<tid> of the thread that reads it.
  const tid = Number(readlinkSync('/proc/thread-self').split('/').pop())
  const write = () => {
    const elu = performance.eventLoopUtilization()
    // Written aside and renamed, so the benchmark never reads half a file.
    writeFileSync(`${dir}/.${role}`, JSON.stringify({ role, tid, active: elu.active, idle: elu.idle }))
    renameSync(`${dir}/.${role}`, `${dir}/${role}.json`)
  }
  write()
  setInterval(write, 200).unref()
}
