/** The one place that reads the environment. Command-line flags win over environment variables over defaults. */

import { isIP } from 'node:net'
import { join, resolve } from 'node:path'
import { z } from 'zod'
import { AppError } from './core/errors.ts'
import { type Stage, stages } from './core/funnel.ts'
import { defaultRetryPolicy, type RetryPolicy } from './core/retry-policy.ts'
import { isRole, type Role } from './core/roles.ts'

export interface Config {
  readonly host: string
  readonly port: number
  readonly dataDir: string
  /** The SQLite file, inside `dataDir`. */
  readonly sqliteFile: string
  /**
   * LEADRELAY_SQLITE_CACHE_MB: the most memory each connection to the SQLite file may keep as page cache (`serve`
   * has three: requests, the ingest thread, the delivery thread); absent, the store's default (256 MiB,
   * src/store/sqlite/open-database.ts; docs/import-export.md).
   */
  readonly sqlitePageCacheMiB?: number
  /** `postgres://…` switches every command to the PostgreSQL store. */
  readonly databaseUrl?: string
  readonly postgresPoolSize: number
  /** Base URL printed in ingest URLs; defaults to http://host:port. */
  readonly publicUrl: string
  /** Whether `publicUrl` was given (flag or LEADRELAY_PUBLIC_URL) rather than derived from host and port. */
  readonly publicUrlConfigured: boolean
  /**
   * LEADRELAY_TRUST_PROXY: whose `X-Forwarded-For`, `-Proto` and `-Host` are believed. `false` (default): nobody's, the
   * socket's peer is the client; a number: that many proxy hops in front; a list: proxies at those addresses or CIDRs.
   */
  readonly trustProxy: false | number | readonly string[]
  /** `GET /metrics`: off unless LEADRELAY_METRICS=true (open) or LEADRELAY_METRICS_TOKEN is set (Bearer token). */
  readonly metrics: { readonly enabled: boolean; readonly token?: string }
  /**
   * OpenTelemetry traces of ingest and delivery (docs/operations.md, docs/decisions/0012-trace-context-of-deliveries.md):
   * present only when OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set.
   */
  readonly tracing?: TracingConfig
  /** LEADRELAY_SHUTDOWN_GRACE: how long SIGTERM waits for delivery attempts in flight before aborting them. */
  readonly shutdownGraceMs: number
  readonly bodyLimitBytes: number
  readonly dedupeWindowMs: number
  readonly logLevel: string
  /** Overrides of the funnel stage per action code, e.g. `{ "INS": "active" }`. */
  readonly actionStages: Readonly<Record<string, Stage>>
  /** LEADRELAY_SECRET_KEY: encryption key(s) for destination secrets; a key file in dataDir otherwise. */
  readonly secretKey: string | undefined
  /** Let destinations reach loopback and private addresses (tests, on-premises CRMs). Off by default (SSRF). */
  readonly allowPrivateNetworks: boolean
  readonly smtp?: { readonly url: string; readonly from: string }
  /** How people sign in to the portal (docs/decisions/0008-sign-in-for-people.md). */
  readonly signIn: SignInConfig
  readonly retryPolicy: RetryPolicy
  /** Marketplace subscriptions (docs/decisions/0010-marketplace-subscriptions.md). */
  readonly subscriptions: SubscriptionsConfig
  readonly worker: {
    readonly maxInFlight: number
    readonly attemptTimeoutMs: number
    /** How long a claimed delivery stays leased; a crashed worker's deliveries return to the queue after it. */
    readonly leaseMs: number
  }
}

/** Flags as the CLI parsed them; undefined means "not given". */
const durationUnits: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** `500ms`, `5s`, `5m`, `2h`, `7d`. */
export function parseDuration(name: string, text: string): number {
  const match = text.trim().match(/^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/)
  if (!match)
    throw new AppError('CONFIG_INVALID', `${name}: "${text}" is not a duration like 5s, 30m, 2h or 7d`, { field: name })
  return Math.round(Number(match[1]) * durationUnits[match[2]!]!)
}

function parseFlag(name: string, text: string | undefined): boolean {
  if (text === undefined || text === '') return false
  if (/^(1|true|yes|on)$/i.test(text)) return true
  if (/^(0|false|no|off)$/i.test(text)) return false
  throw new AppError('CONFIG_INVALID', `${name} must be true or false, got "${text}"`, { field: name })
}

function parseRetryPolicy(env: NodeJS.ProcessEnv): RetryPolicy {
  const schedule = env.LEADRELAY_RETRY_SCHEDULE
  return {
    ...defaultRetryPolicy,
    ...(schedule && {
      delaysMs: schedule.split(',').map((part) => parseDuration('LEADRELAY_RETRY_SCHEDULE', part)),
    }),
    ...(env.LEADRELAY_RETRY_EVERY && {
      thenEveryMs: parseDuration('LEADRELAY_RETRY_EVERY', env.LEADRELAY_RETRY_EVERY),
    }),
    ...(env.LEADRELAY_RETRY_MAX_AGE && {
      maxAgeMs: parseDuration('LEADRELAY_RETRY_MAX_AGE', env.LEADRELAY_RETRY_MAX_AGE),
    }),
  }
}

function workerSettings(env: NodeJS.ProcessEnv): Config['worker'] {
  const attemptTimeoutMs = parseDuration('LEADRELAY_ATTEMPT_TIMEOUT', env.LEADRELAY_ATTEMPT_TIMEOUT ?? '15s')
  const leaseMs = parseDuration('LEADRELAY_LEASE', env.LEADRELAY_LEASE ?? '60s')
  // A lease shorter than an attempt would let a second worker send a delivery the first is still sending.
  if (leaseMs < attemptTimeoutMs + 1000) {
    throw new AppError('CONFIG_INVALID', 'LEADRELAY_LEASE must be at least 1 s longer than LEADRELAY_ATTEMPT_TIMEOUT', {
      field: 'LEADRELAY_LEASE',
    })
  }
  return {
    maxInFlight: parseInteger('LEADRELAY_WORKER_CONCURRENCY', env.LEADRELAY_WORKER_CONCURRENCY ?? '64', 1, 1024),
    attemptTimeoutMs,
    leaseMs,
  }
}

function databaseUrlOf(url: string | undefined): { databaseUrl?: string } {
  if (url === undefined || url === '') return {}
  if (!/^postgres(ql)?:\/\//.test(url)) {
    throw new AppError(
      'CONFIG_INVALID',
      'DATABASE_URL must start with postgres:// (leave it unset for the embedded SQLite store)',
      {
        field: 'DATABASE_URL',
      },
    )
  }
  return { databaseUrl: url }
}

const namedProxyRanges = new Set(['loopback', 'linklocal', 'uniquelocal'])

/** `1` (hops), or `10.0.0.0/8,127.0.0.1,loopback` (addresses, CIDRs and proxy-addr's named ranges). */
export function parseTrustProxy(text: string | undefined): Config['trustProxy'] {
  const value = text?.trim() ?? ''
  if (value === '' || /^(0|false|no|off)$/i.test(value)) return false
  if (/^\d+$/.test(value)) return parseInteger('LEADRELAY_TRUST_PROXY', value, 1, 10)
  const entries = value.split(',').map((entry) => entry.trim())
  for (const entry of entries) {
    const [address, bits, extra] = entry.split('/')
    const validBits =
      bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (isIP(address ?? '') === 4 ? 32 : 128))
    const valid = namedProxyRanges.has(entry) || (isIP(address ?? '') !== 0 && validBits && extra === undefined)
    if (!valid) {
      throw new AppError(
        'CONFIG_INVALID',
        `LEADRELAY_TRUST_PROXY: "${entry}" is not a hop count, an IP address, a CIDR or one of loopback, linklocal, uniquelocal`,
        { field: 'LEADRELAY_TRUST_PROXY' },
      )
    }
  }
  return entries
}

function parseMetrics(env: NodeJS.ProcessEnv): Config['metrics'] {
  const token = env.LEADRELAY_METRICS_TOKEN || undefined
  if (token !== undefined && token.length < 16) {
    throw new AppError('CONFIG_INVALID', 'LEADRELAY_METRICS_TOKEN must be at least 16 characters', {
      field: 'LEADRELAY_METRICS_TOKEN',
    })
  }
  const enabled = parseFlag('LEADRELAY_METRICS', env.LEADRELAY_METRICS) || token !== undefined
  return { enabled, ...(token !== undefined && { token }) }
}

/** Where and as whom spans are exported: OTLP over HTTP, JSON encoded. */
export interface TracingConfig {
  /** The traces URL itself: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as given, or OTEL_EXPORTER_OTLP_ENDPOINT + `/v1/traces`. */
  readonly url: string
  /** OTEL_SERVICE_NAME, default `leadrelay`. */
  readonly serviceName: string
  /** OTEL_EXPORTER_OTLP_HEADERS (and OTEL_EXPORTER_OTLP_TRACES_HEADERS over it): `key=value` pairs, values URL-encoded. */
  readonly headers: Readonly<Record<string, string>>
}

function parseOtlpUrl(name: string, text: string): URL {
  let url: URL | undefined
  try {
    url = new URL(text)
  } catch {
    url = undefined
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new AppError('CONFIG_INVALID', `${name} must be an http:// or https:// URL, got "${text}"`, { field: name })
  }
  return url
}

/** `api-key=secret,x-tenant=a%20b`, as the OpenTelemetry specification writes OTLP headers. */
function parseOtlpHeaders(name: string, text: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const pair of (text ?? '').split(',')) {
    if (pair.trim() === '') continue
    const separator = pair.indexOf('=')
    const key = pair.slice(0, separator).trim()
    let value: string | undefined
    try {
      value = separator > 0 ? decodeURIComponent(pair.slice(separator + 1).trim()) : undefined
    } catch {
      value = undefined
    }
    if (value === undefined || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(key)) {
      throw new AppError('CONFIG_INVALID', `${name} must be comma-separated key=value pairs (values URL-encoded)`, {
        field: name,
      })
    }
    headers[key.toLowerCase()] = value
  }
  return headers
}

function parseTracing(env: NodeJS.ProcessEnv): { tracing?: TracingConfig } {
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT || undefined
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || undefined
  if (base === undefined && traces === undefined) return {}
  const protocol = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL || env.OTEL_EXPORTER_OTLP_PROTOCOL || 'http/json'
  // OTLP/HTTP receivers (the Collector, Jaeger, Tempo) take JSON as well as protobuf on the same URL, so a setting of
  // http/protobuf, common in platform defaults, is served with JSON; gRPC is another port and protocol.
  if (protocol !== 'http/json' && protocol !== 'http/protobuf') {
    throw new AppError(
      'CONFIG_INVALID',
      `Leadrelay exports traces as OTLP/HTTP (JSON): set OTEL_EXPORTER_OTLP_PROTOCOL to http/json or http/protobuf, or leave it unset, and point the endpoint at the receiver's HTTP port, usually 4318 (got "${protocol}")`,
      { field: 'OTEL_EXPORTER_OTLP_PROTOCOL' },
    )
  }
  // The specification: a signal's own endpoint is used as it is; the general one gets the signal's path appended.
  const url =
    traces !== undefined
      ? parseOtlpUrl('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', traces).href
      : `${parseOtlpUrl('OTEL_EXPORTER_OTLP_ENDPOINT', base!).href.replace(/\/+$/, '')}/v1/traces`
  return {
    tracing: {
      url,
      serviceName: env.OTEL_SERVICE_NAME || 'leadrelay',
      headers: {
        ...parseOtlpHeaders('OTEL_EXPORTER_OTLP_HEADERS', env.OTEL_EXPORTER_OTLP_HEADERS),
        ...parseOtlpHeaders('OTEL_EXPORTER_OTLP_TRACES_HEADERS', env.OTEL_EXPORTER_OTLP_TRACES_HEADERS),
      },
    },
  }
}

export interface ConfigFlags {
  readonly host?: string | undefined
  readonly port?: string | undefined
  readonly data?: string | undefined
  readonly publicUrl?: string | undefined
  readonly logLevel?: string | undefined
  readonly databaseUrl?: string | undefined
}

const actionStagesSchema = z.record(z.string().min(1), z.enum(stages))

function parseInteger(name: string, text: string, min: number, max: number): number {
  const value = Number(text)
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new AppError('CONFIG_INVALID', `${name} must be an integer from ${min} to ${max}, got "${text}"`, {
      field: name,
    })
  }
  return value
}

export function loadConfig(flags: ConfigFlags = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const host = flags.host ?? env.LEADRELAY_HOST ?? '127.0.0.1'
  const port = parseInteger('port', flags.port ?? env.LEADRELAY_PORT ?? '8080', 0, 65535)
  const dataDir = resolve(flags.data ?? env.LEADRELAY_DATA_DIR ?? './data')
  const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host
  const configuredPublicUrl = flags.publicUrl ?? (env.LEADRELAY_PUBLIC_URL || undefined)
  const publicUrl = (configuredPublicUrl ?? `http://${shownHost}:${port}`).replace(/\/+$/, '')
  let actionStages: Record<string, Stage> = {}
  if (env.LEADRELAY_ACTION_STAGES) {
    let parsed: unknown
    try {
      parsed = JSON.parse(env.LEADRELAY_ACTION_STAGES)
    } catch {
      parsed = undefined
    }
    const result = actionStagesSchema.safeParse(parsed)
    if (!result.success) {
      throw new AppError(
        'CONFIG_INVALID',
        `LEADRELAY_ACTION_STAGES must be a JSON object of action code to one of ${stages.join(', ')}`,
        { field: 'LEADRELAY_ACTION_STAGES' },
      )
    }
    actionStages = result.data
  }
  const databaseUrl = databaseUrlOf(flags.databaseUrl ?? env.DATABASE_URL)
  if (databaseUrl.databaseUrl !== undefined && !env.LEADRELAY_SECRET_KEY) {
    // Each node would otherwise make its own key file, and secrets sealed on one node would not open on another.
    throw new AppError(
      'CONFIG_INVALID',
      'With DATABASE_URL set, every node needs the same LEADRELAY_SECRET_KEY (base64 of 32 random bytes: openssl rand -base64 32)',
      { field: 'LEADRELAY_SECRET_KEY' },
    )
  }
  return {
    host,
    port,
    dataDir,
    sqliteFile: join(dataDir, 'leadrelay.db'),
    ...(env.LEADRELAY_SQLITE_CACHE_MB !== undefined && {
      sqlitePageCacheMiB: parseInteger('LEADRELAY_SQLITE_CACHE_MB', env.LEADRELAY_SQLITE_CACHE_MB, 2, 65_536),
    }),
    ...databaseUrl,
    postgresPoolSize: parseInteger('LEADRELAY_PG_POOL', env.LEADRELAY_PG_POOL ?? '10', 1, 1000),
    publicUrl,
    publicUrlConfigured: configuredPublicUrl !== undefined,
    trustProxy: parseTrustProxy(env.LEADRELAY_TRUST_PROXY),
    metrics: parseMetrics(env),
    ...parseTracing(env),
    shutdownGraceMs: parseDuration('LEADRELAY_SHUTDOWN_GRACE', env.LEADRELAY_SHUTDOWN_GRACE ?? '8s'),
    bodyLimitBytes: parseInteger('LEADRELAY_BODY_LIMIT', env.LEADRELAY_BODY_LIMIT ?? '65536', 1024, 10 * 1024 * 1024),
    dedupeWindowMs: 1000 * parseInteger('LEADRELAY_DEDUPE_SECONDS', env.LEADRELAY_DEDUPE_SECONDS ?? '600', 0, 86400),
    logLevel: flags.logLevel ?? env.LEADRELAY_LOG_LEVEL ?? 'info',
    actionStages,
    secretKey: env.LEADRELAY_SECRET_KEY || undefined,
    allowPrivateNetworks: parseFlag('LEADRELAY_ALLOW_PRIVATE_NETWORKS', env.LEADRELAY_ALLOW_PRIVATE_NETWORKS),
    ...(env.LEADRELAY_SMTP_URL && {
      smtp: { url: env.LEADRELAY_SMTP_URL, from: env.LEADRELAY_SMTP_FROM ?? 'Leadrelay <leadrelay@localhost>' },
    }),
    signIn: parseSignIn(env),
    retryPolicy: parseRetryPolicy(env),
    subscriptions: parseSubscriptions(env),
    worker: workerSettings(env),
  }
}

/** Where the SaaS Fulfillment API and Microsoft Entra are, and how often subscriptions are read. */
export interface SubscriptionsConfig {
  /** LEADRELAY_SUBSCRIPTION_POLL: how often each tenant's subscriptions are read (default 15m); 0 for never. */
  readonly pollIntervalMs: number
  /** LEADRELAY_ENTRA_LOGIN_URL: the token endpoint's base (default https://login.microsoftonline.com). */
  readonly loginUrl: string
  /** LEADRELAY_MARKETPLACE_API_URL: the fulfillment API's base (default https://marketplaceapi.microsoft.com). */
  readonly apiUrl: string
  /** LEADRELAY_SAAS_WEBHOOK_JWKS_URL: the keys SaaS webhook tokens are signed with (Entra's common JWKS by default). */
  readonly webhookJwksUrl: string
  /**
   * LEADRELAY_SAAS_WEBHOOK_ISSUERS: the issuers accepted on SaaS webhook tokens, comma-separated; `{tenantId}` stands
   * for the publisher's Entra tenant (default: Entra's v1 and v2 issuers).
   */
  readonly webhookIssuers: readonly string[]
}

function parseSubscriptions(env: NodeJS.ProcessEnv): SubscriptionsConfig {
  const poll = env.LEADRELAY_SUBSCRIPTION_POLL ?? '15m'
  return {
    pollIntervalMs: poll === '0' ? 0 : parseDuration('LEADRELAY_SUBSCRIPTION_POLL', poll),
    loginUrl: (env.LEADRELAY_ENTRA_LOGIN_URL || 'https://login.microsoftonline.com').replace(/\/+$/, ''),
    apiUrl: (env.LEADRELAY_MARKETPLACE_API_URL || 'https://marketplaceapi.microsoft.com').replace(/\/+$/, ''),
    webhookJwksUrl:
      env.LEADRELAY_SAAS_WEBHOOK_JWKS_URL || 'https://login.microsoftonline.com/common/discovery/v2.0/keys',
    webhookIssuers: (
      env.LEADRELAY_SAAS_WEBHOOK_ISSUERS ||
      'https://sts.windows.net/{tenantId}/,https://login.microsoftonline.com/{tenantId}/v2.0'
    )
      .split(',')
      .map((issuer) => issuer.trim())
      .filter((issuer) => issuer !== ''),
  }
}

/** An OpenID Connect provider: Microsoft Entra ID or any other by its issuer URL. */
export interface OidcConfig {
  readonly issuer: string
  readonly clientId: string
  readonly clientSecret?: string
  /** Entra tenant ids (`tid`) whose people may sign in; lower case. */
  readonly allowedTenants: readonly string[]
  /** Email domains whose people (with a verified email) join the oldest tenant by themselves; lower case. */
  readonly allowedDomains: readonly string[]
  /** The role of a person who joins by an allowed tenant or domain. */
  readonly defaultRole: Role
}

export interface SignInConfig {
  /** Absent: no identity provider, the portal is entered with an API key. */
  readonly oidc?: OidcConfig
  /** Whether the portal still offers "sign in with an API key"; always true without OIDC. */
  readonly apiKeySignIn: boolean
  /** People who are operators (owner of every tenant); lower case. */
  readonly operatorEmails: readonly string[]
  readonly sessionIdleMs: number
  readonly sessionMaxMs: number
}

const listOf = (text: string | undefined) =>
  (text ?? '')
    .split(',')
    .map((entry) => entry.trim().toLowerCase())
    .filter((entry) => entry !== '')

function parseSignIn(env: NodeJS.ProcessEnv): SignInConfig {
  const issuer = env.LEADRELAY_OIDC_ISSUER || undefined
  const clientId = env.LEADRELAY_OIDC_CLIENT_ID || undefined
  if ((issuer === undefined) !== (clientId === undefined)) {
    throw new AppError('CONFIG_INVALID', 'Set both LEADRELAY_OIDC_ISSUER and LEADRELAY_OIDC_CLIENT_ID, or neither', {
      field: issuer === undefined ? 'LEADRELAY_OIDC_ISSUER' : 'LEADRELAY_OIDC_CLIENT_ID',
    })
  }
  if (issuer !== undefined && !/^https:\/\/|^http:\/\/(127\.0\.0\.1|localhost|\[::1\])[:/]/.test(issuer)) {
    throw new AppError('CONFIG_INVALID', 'LEADRELAY_OIDC_ISSUER must be an https:// URL', {
      field: 'LEADRELAY_OIDC_ISSUER',
    })
  }
  const defaultRole = env.LEADRELAY_OIDC_DEFAULT_ROLE || 'viewer'
  if (!isRole(defaultRole)) {
    throw new AppError('CONFIG_INVALID', 'LEADRELAY_OIDC_DEFAULT_ROLE must be viewer, editor, admin or owner', {
      field: 'LEADRELAY_OIDC_DEFAULT_ROLE',
    })
  }
  const sessionIdleMs = parseDuration('LEADRELAY_SESSION_IDLE', env.LEADRELAY_SESSION_IDLE ?? '8h')
  const sessionMaxMs = parseDuration('LEADRELAY_SESSION_MAX', env.LEADRELAY_SESSION_MAX ?? '7d')
  return {
    ...(issuer !== undefined &&
      clientId !== undefined && {
        oidc: {
          issuer,
          clientId,
          ...(env.LEADRELAY_OIDC_CLIENT_SECRET && { clientSecret: env.LEADRELAY_OIDC_CLIENT_SECRET }),
          allowedTenants: listOf(env.LEADRELAY_OIDC_ALLOWED_TENANTS),
          allowedDomains: listOf(env.LEADRELAY_OIDC_ALLOWED_DOMAINS).map((domain) => domain.replace(/^@/, '')),
          defaultRole,
        },
      }),
    apiKeySignIn:
      issuer === undefined || parseFlag('LEADRELAY_ALLOW_API_KEY_SIGN_IN', env.LEADRELAY_ALLOW_API_KEY_SIGN_IN),
    operatorEmails: listOf(env.LEADRELAY_OPERATOR_EMAILS),
    sessionIdleMs,
    sessionMaxMs: Math.max(sessionMaxMs, sessionIdleMs),
  }
}
