import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, test } from 'vitest'
import { loadConfig } from '../config.ts'
import { AppError } from '../core/errors.ts'
import { spanContextOf, traceParentOf } from './otel-tracing.ts'
import { loadTracing } from './tracing.ts'

const configOf = (env: NodeJS.ProcessEnv) => loadConfig({}, env)

function refusal(env: NodeJS.ProcessEnv): AppError {
  try {
    configOf(env)
  } catch (error) {
    if (error instanceof AppError) return error
    throw error
  }
  throw new Error('accepted')
}

describe('OpenTelemetry settings', () => {
  test('off unless an OTLP endpoint is set', async () => {
    const config = configOf({ OTEL_SERVICE_NAME: 'ignored', OTEL_EXPORTER_OTLP_HEADERS: 'a=b' })
    expect(config.tracing).toBeUndefined()
    expect(await loadTracing(config.tracing, '1.0.0')).toBeUndefined()
  })

  test('the base endpoint gets /v1/traces; the traces endpoint is used as given and wins', () => {
    expect(configOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).tracing).toEqual({
      url: 'http://collector:4318/v1/traces',
      serviceName: 'leadrelay',
      headers: {},
    })
    expect(
      configOf({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://api.honeycomb.io/v1/traces',
        OTEL_SERVICE_NAME: 'leads-eu',
      }).tracing,
    ).toMatchObject({ url: 'https://api.honeycomb.io/v1/traces', serviceName: 'leads-eu' })
  })

  test('headers are key=value pairs with URL-encoded values; the traces headers win', () => {
    const config = configOf({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_EXPORTER_OTLP_HEADERS: 'Authorization=Bearer%20abc, x-scope=a%3Db',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-scope=traces',
    })
    expect(config.tracing?.headers).toEqual({ authorization: 'Bearer abc', 'x-scope': 'traces' })
  })

  test('a bad endpoint, header list or protocol is refused with the variable named', () => {
    expect(refusal({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }).field).toBe('OTEL_EXPORTER_OTLP_ENDPOINT')
    expect(refusal({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'grpc://c:4317' }).field).toBe(
      'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
    )
    expect(refusal({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c', OTEL_EXPORTER_OTLP_HEADERS: 'novalue' }).field).toBe(
      'OTEL_EXPORTER_OTLP_HEADERS',
    )
    expect(refusal({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c', OTEL_EXPORTER_OTLP_HEADERS: 'a=%zz' }).code).toBe(
      'CONFIG_INVALID',
    )
    const protocol = refusal({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })
    expect(protocol).toMatchObject({ code: 'CONFIG_INVALID', field: 'OTEL_EXPORTER_OTLP_PROTOCOL' })
    for (const accepted of ['http/json', 'http/protobuf']) {
      expect(
        configOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c', OTEL_EXPORTER_OTLP_PROTOCOL: accepted }).tracing,
      ).toBeDefined()
    }
  })
})

describe('stored trace context', () => {
  test('a traceparent reads back as the span context it was written from', () => {
    const context = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 1 }
    const written = traceParentOf(context)
    expect(written).toBe('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')
    expect(spanContextOf(written)).toEqual({ ...context, isRemote: true })
  })

  test('anything else links to nothing', () => {
    for (const text of [
      '',
      '01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
      '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01',
      '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01',
      '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7',
    ]) {
      expect(spanContextOf(text)).toBeUndefined()
    }
  })
})

test('only otel-tracing.ts imports OpenTelemetry (the layer rules keep it imported dynamically)', () => {
  const root = fileURLToPath(new URL('../', import.meta.url))
  const importers = readdirSync(root, { recursive: true, encoding: 'utf8' })
    .filter((file) => /\.tsx?$/.test(file) && !/\.test\.tsx?$/.test(file))
    .filter((file) => /from '@opentelemetry\/|import\('@opentelemetry\//.test(readFileSync(join(root, file), 'utf8')))
    .map((file) => relative(root, join(root, file)))
  expect(importers).toEqual([join('tracing', 'otel-tracing.ts')])
})
