/**
 * docs/benchmarks.md holds one section per store, each between markers, and text written by hand around them. A run
 * replaces its own store's section and leaves everything else as it was.
 */

const markers = (store: string) => ({ start: `<!-- bench:${store}:start -->`, end: `<!-- bench:${store}:end -->` })

export function updateBenchmarkPage(page: string, store: string, section: string): string {
  const { start, end } = markers(store)
  const block = `${start}\n${section.trim()}\n${end}`
  const from = page.indexOf(start)
  const to = page.indexOf(end, from)
  if (from === -1 || to === -1) return page.trim() === '' ? `${block}\n` : `${page.trimEnd()}\n\n---\n\n${block}\n`
  return `${page.slice(0, from)}${block}${page.slice(to + end.length)}`
}
