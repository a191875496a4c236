import { expect, test } from 'vitest'
import { updateBenchmarkPage } from '../../scripts/bench/benchmark-page.ts'

test('a benchmark run replaces its own store section and keeps the other one and the hand-written text', () => {
  let page = updateBenchmarkPage('', 'sqlite', '# SQLite run 1')
  page = updateBenchmarkPage(page, 'postgres', '# PostgreSQL run 1')
  page = `${page}\n## Reading these figures\n\nby hand\n`
  page = updateBenchmarkPage(page, 'sqlite', '# SQLite run 2\n')
  expect(page).toContain('# SQLite run 2')
  expect(page).not.toContain('# SQLite run 1')
  expect(page).toContain('# PostgreSQL run 1')
  expect(page).toContain('## Reading these figures\n\nby hand')
  expect(page.indexOf('SQLite run 2')).toBeLessThan(page.indexOf('PostgreSQL run 1'))
  expect(updateBenchmarkPage(page, 'postgres', '# PostgreSQL run 2')).toBe(page.replace('run 1', 'run 2'))
})
