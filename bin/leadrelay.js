#!/usr/bin/env node
// Runs the TypeScript sources through tsx inside a checkout, and the compiled build in a published package.
import { existsSync } from 'node:fs'

const source = new URL('../src/cli/run.ts', import.meta.url)
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api')
  register()
  await import(source.href)
} else {
  await import(new URL('../dist/cli/run.js', import.meta.url).href)
}
