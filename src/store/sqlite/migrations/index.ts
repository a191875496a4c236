import type { Migration } from '../../migrations.ts'
import * as init from './0001-init.ts'

export const sqliteMigrations: readonly Migration[] = [{ version: 1, ...init }]
