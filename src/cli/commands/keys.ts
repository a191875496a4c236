/** `leadrelay keys …` and `leadrelay ingest-token rotate`: named API keys and the Microsoft ingest URL, audited. */

import { apiKeyScopes } from '../../core/api-key-scopes.ts'
import { AppError } from '../../core/errors.ts'
import {
  createKeyService,
  defaultIngestOverlapHours,
  ingestTokenRotateInput,
  type KeyService,
  keyInput,
  keyRotateInput,
  maxOverlapHours,
  presentKey,
} from '../../services/keys.ts'
import type { Tenant } from '../../store/types.ts'
import { type Command, type CommandIo, type Flags, storeOptionHelp, storeOptions, stringFlag } from '../command.ts'
import { openContext } from '../context.ts'
import { renderTable } from '../table.ts'
import { cliActor, resolveTenant, tenantOptionHelp } from '../tenant-flag.ts'

const iso = (ms: number | undefined) => (ms === undefined ? '-' : new Date(ms).toISOString())

/** Opens the store, resolves `--tenant` and runs `work` with the key service; the store is closed afterwards. */
async function withKeys(
  flags: Flags,
  io: CommandIo,
  work: (keys: KeyService, tenant: Tenant, actor: string) => Promise<number>,
): Promise<number> {
  const context = await openContext(flags, io.env)
  try {
    const tenant = await resolveTenant(context.store, stringFlag(flags, 'tenant'))
    const keys = createKeyService({ ...context, publicUrl: context.config.publicUrl })
    return await work(keys, tenant, cliActor(io.env))
  } finally {
    await context.store.close()
  }
}

function keyIdOf(positionals: readonly string[], usage: string): string {
  const id = positionals[0]
  if (!id)
    throw new AppError('VALIDATION_FAILED', `Name the key: ${usage} (ids are in "leadrelay keys list")`, {
      field: 'keyId',
    })
  return id
}

function overlapOf(flags: Flags, fallback: number): number {
  const text = stringFlag(flags, 'overlap-hours')
  if (text === undefined) return fallback
  if (!/^\d+$/.test(text) || Number(text) > maxOverlapHours) {
    throw new AppError('VALIDATION_FAILED', `--overlap-hours must be a whole number from 0 to ${maxOverlapHours}`, {
      field: 'overlap-hours',
    })
  }
  return Number(text)
}

const common = { ...storeOptions, tenant: { type: 'string' }, json: { type: 'boolean' } } as const
const jsonHelp = '--json                print JSON instead of text'
const scopeHelp = `scopes: ${apiKeyScopes.join(', ')} (ingest: POST /v1/leads; read: every GET; admin: everything)`

export const keysListCommand: Command = {
  usage: 'leadrelay keys list [--json] [--tenant <id|name>]',
  options: common,
  optionHelp: [jsonHelp, tenantOptionHelp, ...storeOptionHelp],
  run: (flags, _positionals, io) =>
    withKeys(flags, io, async (keys, tenant) => {
      const listed = (await keys.listKeys(tenant)).map(presentKey)
      if (flags.json) {
        for (const key of listed) io.stdout.write(`${JSON.stringify(key)}\n`)
        return 0
      }
      io.stdout.write(
        renderTable(
          ['id', 'name', 'scopes', 'starts with', 'created', 'stops'],
          listed.map((key) => [
            key.id,
            key.name,
            key.scopes.join(','),
            key.hint ?? '-',
            key.createdAt ?? '-',
            key.revokesAt ?? '-',
          ]),
        ),
      )
      return 0
    }),
}

export const keysCreateCommand: Command = {
  usage: 'leadrelay keys create --name <name> --scope <scope[,scope]> [--json] [--tenant <id|name>]',
  options: { ...common, name: { type: 'string' }, scope: { type: 'string' } },
  optionHelp: [
    '--name <name>         what the key is for, e.g. "CRM script" or "portal viewer"',
    `--scope <list>        comma-separated ${scopeHelp}`,
    jsonHelp,
    tenantOptionHelp,
    ...storeOptionHelp,
  ],
  run: (flags, _positionals, io) =>
    withKeys(flags, io, async (keys, tenant, actor) => {
      const scopes = (stringFlag(flags, 'scope') ?? '')
        .split(',')
        .map((scope) => scope.trim())
        .filter(Boolean)
      const parsed = keyInput.safeParse({ name: stringFlag(flags, 'name') ?? '', scopes })
      if (!parsed.success) {
        throw new AppError('VALIDATION_FAILED', `Give the key --name <name> and --scope with ${scopeHelp}`, {
          field: parsed.error.issues[0]?.path[0] === 'name' ? 'name' : 'scope',
        })
      }
      const created = await keys.createKey(tenant, parsed.data, actor)
      if (flags.json) {
        io.stdout.write(`${JSON.stringify({ ...presentKey(created.key), key: created.secret })}\n`)
      } else {
        io.stdout.write(
          [
            `API key "${created.key.name}" (${created.key.id}, ${created.key.scopes.join(',')}) created. It is shown once; store it now.`,
            `  API key:  ${created.secret}`,
            '',
          ].join('\n'),
        )
      }
      return 0
    }),
}

export const keysRotateCommand: Command = {
  usage: 'leadrelay keys rotate <keyId> [--overlap-hours <n>] [--json] [--tenant <id|name>]',
  options: { ...common, 'overlap-hours': { type: 'string' } },
  optionHelp: [
    `--overlap-hours <n>   hours the old secret keeps working (0 to ${maxOverlapHours}; default 0: it stops now)`,
    jsonHelp,
    tenantOptionHelp,
    ...storeOptionHelp,
  ],
  run: (flags, positionals, io) =>
    withKeys(flags, io, async (keys, tenant, actor) => {
      const id = keyIdOf(positionals, 'leadrelay keys rotate <keyId>')
      const input = keyRotateInput.parse({ overlapHours: overlapOf(flags, 0) })
      const rotated = await keys.rotateKey(tenant, id, input, actor)
      if (flags.json) {
        io.stdout.write(
          `${JSON.stringify({ ...presentKey(rotated.key), key: rotated.secret, previous: presentKey(rotated.previous) })}\n`,
        )
      } else {
        io.stdout.write(
          [
            `API key "${rotated.key.name}" rotated: new id ${rotated.key.id}. It is shown once; store it now.`,
            `  API key:  ${rotated.secret}`,
            `  The old key ${rotated.previous.id} ${input.overlapHours === 0 ? 'no longer works' : `works until ${iso(rotated.previous.revokesAt)}`}.`,
            '',
          ].join('\n'),
        )
      }
      return 0
    }),
}

export const keysRevokeCommand: Command = {
  usage: 'leadrelay keys revoke <keyId> [--tenant <id|name>]',
  options: common,
  optionHelp: [tenantOptionHelp, ...storeOptionHelp],
  run: (flags, positionals, io) =>
    withKeys(flags, io, async (keys, tenant, actor) => {
      const revoked = await keys.revokeKey(tenant, keyIdOf(positionals, 'leadrelay keys revoke <keyId>'), actor)
      io.stderr.write(`API key "${revoked.name}" (${revoked.id}) revoked.\n`)
      return 0
    }),
}

export const ingestTokenRotateCommand: Command = {
  usage: 'leadrelay ingest-token rotate [--overlap-hours <n>] [--json] [--public-url <url>] [--tenant <id|name>]',
  options: { ...common, 'overlap-hours': { type: 'string' }, 'public-url': { type: 'string' } },
  optionHelp: [
    `--overlap-hours <n>   hours the old URL keeps working, time to paste the new one into Partner Center (0 to ${maxOverlapHours}; default ${defaultIngestOverlapHours})`,
    '--public-url <url>    base URL Microsoft reaches this service at (env LEADRELAY_PUBLIC_URL)',
    jsonHelp,
    tenantOptionHelp,
    ...storeOptionHelp,
  ],
  run: (flags, _positionals, io) =>
    withKeys(flags, io, async (keys, tenant, actor) => {
      const input = ingestTokenRotateInput.parse({ overlapHours: overlapOf(flags, defaultIngestOverlapHours) })
      const rotated = await keys.rotateIngestToken(tenant, input, actor)
      const previous = rotated.tokens.filter((token) => token.id !== rotated.current.id)
      if (flags.json) {
        io.stdout.write(
          `${JSON.stringify({
            id: rotated.current.id,
            ingestToken: rotated.ingestToken,
            ingestUrl: rotated.ingestUrl,
            previous: previous.map((token) => ({ id: token.id, revokesAt: iso(token.revokesAt) })),
          })}\n`,
        )
      } else {
        io.stdout.write(
          [
            'New ingest URL. It is shown once; paste it into Partner Center (Offer setup > Customer leads > HTTPS endpoint).',
            `  Ingest URL:  ${rotated.ingestUrl}`,
            ...(input.overlapHours === 0
              ? ['  Previous URLs no longer work.']
              : previous.map((token) => `  The previous URL (${token.id}) works until ${iso(token.revokesAt)}.`)),
            '',
          ].join('\n'),
        )
      }
      return 0
    }),
}
