/**
 * fast-check arbitraries from JSON Schema: values that follow the schema (valid-ish: a random string may still fail a
 * pattern), and the same values mutated the way a careless or hostile sender would — wrong types, missing and extra
 * keys, `__proto__`/`constructor`/`prototype` keys at any depth, control characters, deep nesting, huge strings.
 */

import fc from 'fast-check'
import type { JsonSchema } from './openapi-operations.ts'

/** Values worth trying for a property or parameter of a given name: known ids, destination kinds, the sink's URL. */
export type SchemaHints = Readonly<Record<string, fc.Arbitrary<unknown>>>

/** Times that a store or `new Date()` may not be able to take: the edges the issue names, and a few more. */
export const hostileNumbers = [
  9e15,
  -9e15,
  8.64e15 + 1,
  1.5,
  1e300,
  -1e300,
  1e-300,
  -1,
  0,
  2 ** 53,
  -(2 ** 53),
  2 ** 31,
  Number.MAX_SAFE_INTEGER + 2,
] as const

const hostileTexts: readonly string[] = [
  '',
  ' ',
  '\u0000',
  '\u0000\u0001\u001f\u007f',
  '\r\n\t\b\f\v',
  '\ud800',
  '\udfff\ud800',
  '\ufeff',
  '\u202eevil',
  '\u200b',
  '王小明 🚀 Ñandú',
  'مرحبا',
  '%ZZ',
  '%00',
  '../../etc/passwd',
  "Robert'); DROP TABLE leads;--",
  '<script>alert(1)</script>',
  '{{7*7}}',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'null',
  'undefined',
  'NaN',
  'Infinity',
  '-0',
  '9e15',
  '1e300',
  '9007199254740993',
  '+275760-09-13T00:00:00.000Z',
  '9999-12-31T23:59:59.999Z',
  '0000-01-01T00:00:00Z',
  '2024-02-30T00:00:00Z',
  '2024-01-01T00:00:00+99:99',
  '1970-01-01T00:00:00.0000000001Z',
  'AzureMarketplace-INS|',
  '|',
  '-|-',
  'AzureMarketplace-INS|a|b|c',
  'a@b',
  '@',
  'x'.repeat(101),
  'x'.repeat(201),
  'x'.repeat(5000),
]

/** Strings a sender should never send and a server must survive. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom(...hostileTexts), weight: 4 },
  {
    arbitrary: fc.string({ unit: fc.integer({ min: 0, max: 0x1f }).map((code) => String.fromCharCode(code)) }),
    weight: 1,
  },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 1 },
  { arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }), weight: 1 },
  { arbitrary: fc.string({ unit: fc.constantFrom('\ud800', '\udc00', 'a', '\u0000'), maxLength: 10 }), weight: 1 },
)

/** Any JSON value of a type a field did not ask for. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: hostileString as fc.Arbitrary<unknown>, weight: 3 },
  { arbitrary: fc.constantFrom<unknown>(...hostileNumbers), weight: 2 },
  { arbitrary: fc.constantFrom<unknown>(null, true, false, [], {}, [[]], [null], { '': '' }), weight: 1 },
  { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 1 },
)

const maxGeneratedLength = 40

function stringArbitrary(schema: JsonSchema): fc.Arbitrary<string> {
  const minLength = schema.minLength ?? 0
  const maxLength = Math.max(minLength, Math.min(schema.maxLength ?? maxGeneratedLength, maxGeneratedLength))
  const examples = (schema.examples ?? []).filter((example): example is string => typeof example === 'string')
  let base: fc.Arbitrary<string>
  switch (schema.format) {
    case 'date-time':
      base = fc
        .date({ min: new Date('1990-01-01T00:00:00Z'), max: new Date('2035-12-31T00:00:00Z'), noInvalidDate: true })
        .map((date) => date.toISOString())
      break
    case 'email':
      base = fc.emailAddress()
      break
    case 'uri':
      // No random host names: a destination check would look them up and connect.
      base = fc.constantFrom('http://127.0.0.1:1/', 'https://127.0.0.1:1/x', 'ftp://127.0.0.1/', 'http://')
      break
    default:
      base = fc.string({ minLength, maxLength })
  }
  return examples.length > 0 ? fc.oneof(fc.constantFrom(...examples), base) : base
}

function numberArbitrary(schema: JsonSchema, integer: boolean): fc.Arbitrary<number> {
  const min = schema.minimum ?? (schema.exclusiveMinimum === undefined ? -1e6 : schema.exclusiveMinimum + 1)
  const max = schema.maximum ?? (schema.exclusiveMaximum === undefined ? 1e6 : schema.exclusiveMaximum - 1)
  return integer
    ? fc.integer({ min: Math.ceil(min), max: Math.floor(max) })
    : fc.double({ min, max, noNaN: true, noDefaultInfinity: true })
}

function typesOf(schema: JsonSchema): string[] {
  if (Array.isArray(schema.type)) return [...schema.type]
  if (typeof schema.type === 'string') return [schema.type]
  if (schema.properties !== undefined || schema.additionalProperties !== undefined) return ['object']
  if (schema.items !== undefined) return ['array']
  return []
}

/**
 * Values that follow the schema's shape. `name` is the property or parameter the schema is for: when the hints know
 * it, their values are tried too (an array's items use the array's name).
 */
export function schemaArbitrary(
  schema: JsonSchema,
  hints: SchemaHints = {},
  name?: string,
  depth = 0,
): fc.Arbitrary<unknown> {
  const hinted = name === undefined ? undefined : hints[name]
  const base = shapeArbitrary(schema, hints, name, depth)
  return hinted === undefined ? base : fc.oneof({ arbitrary: hinted, weight: 3 }, { arbitrary: base, weight: 1 })
}

function shapeArbitrary(schema: JsonSchema, hints: SchemaHints, name: string | undefined, depth: number) {
  if (schema.const !== undefined) return fc.constant(schema.const)
  if (schema.enum !== undefined && schema.enum.length > 0) return fc.constantFrom(...schema.enum)
  const alternatives = schema.anyOf ?? schema.oneOf
  if (alternatives !== undefined && alternatives.length > 0) {
    return fc.oneof(...alternatives.map((alternative) => schemaArbitrary(alternative, hints, name, depth)))
  }
  const types = typesOf(schema)
  if (types.length === 0) return depth > 2 ? fc.constant(null) : fc.jsonValue({ maxDepth: 2 })
  return fc.oneof(
    ...types.map((type): fc.Arbitrary<unknown> => {
      switch (type) {
        case 'string':
          return stringArbitrary(schema)
        case 'integer':
          return numberArbitrary(schema, true)
        case 'number':
          return numberArbitrary(schema, false)
        case 'boolean':
          return fc.boolean()
        case 'null':
          return fc.constant(null)
        case 'array': {
          const itemHint = name === undefined ? undefined : hints[name]
          const items = itemHint ?? schemaArbitrary(schema.items ?? {}, hints, undefined, depth + 1)
          const minLength = schema.minItems ?? 0
          return fc.array(items, { minLength, maxLength: Math.max(minLength, Math.min(schema.maxItems ?? 4, 4)) })
        }
        default:
          return objectArbitrary(schema, hints, depth)
      }
    }),
  )
}

function objectArbitrary(schema: JsonSchema, hints: SchemaHints, depth: number): fc.Arbitrary<unknown> {
  const properties = schema.properties ?? {}
  const model = Object.fromEntries(
    Object.entries(properties).map(([key, property]) => [key, schemaArbitrary(property, hints, key, depth + 1)]),
  )
  const declared = fc.record(model, { requiredKeys: [...(schema.required ?? [])] })
  const additional = schema.additionalProperties
  if (additional === undefined || additional === false || depth > 2) return declared
  const valueSchema = additional === true ? {} : additional
  return fc
    .tuple(
      declared,
      fc.dictionary(
        fc.string({ minLength: 1, maxLength: 12 }),
        schemaArbitrary(valueSchema, hints, undefined, depth + 1),
        { maxKeys: 3 },
      ),
    )
    .map(([known, extra]) => ({ ...extra, ...known }))
}

const mutationKinds = [
  'wrong-type',
  'drop-key',
  'extra-key',
  'poison-key',
  'hostile-string',
  'deep-nesting',
  'huge-string',
] as const
export type MutationKind = (typeof mutationKinds)[number]

interface Slot {
  readonly parent: Record<string, unknown> | unknown[] | undefined
  readonly key: string | number | undefined
  readonly value: unknown
}

function slotsOf(value: unknown, parent?: Slot['parent'], key?: Slot['key'], into: Slot[] = []): Slot[] {
  into.push({ parent, key, value })
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) slotsOf(item, value, index, into)
  } else if (typeof value === 'object' && value !== null) {
    for (const [childKey, child] of Object.entries(value))
      slotsOf(child, value as Record<string, unknown>, childKey, into)
  }
  return into
}

/** An own, enumerable property even for `__proto__`, so `JSON.stringify` writes it as a key. */
function setOwn(target: Record<string, unknown> | unknown[], key: string | number, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true })
}

const deepMarker = /"\\u0000deep:(array|object):(\d+)"/g

/** A placeholder for `depth` arrays or objects inside each other; `jsonTextOf` writes it out. */
export function deeplyNested(depth: number, shape: 'array' | 'object'): string {
  return `\u0000deep:${shape}:${depth}`
}

/**
 * The JSON text of a generated value. Deep nesting is spliced in as text: neither `structuredClone` nor
 * `JSON.stringify` can walk thousands of levels without overflowing the stack.
 */
export function jsonTextOf(value: unknown): string {
  return (JSON.stringify(value) ?? 'null').replace(deepMarker, (_marker, shape: string, depth: string) => {
    const levels = Number(depth)
    return shape === 'array'
      ? `${'['.repeat(levels)}${']'.repeat(levels)}`
      : `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`
  })
}

/** Percent-encodes every byte but the unreserved ones; lone surrogates become U+FFFD rather than an exception. */
export function percentEncode(text: string): string {
  let encoded = ''
  for (const byte of Buffer.from(text, 'utf8')) {
    const char = String.fromCharCode(byte)
    encoded += /[A-Za-z0-9\-._~]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return encoded
}

export interface MutationOptions {
  /** The server's body limit: huge strings are sized around it. */
  readonly bodyLimitBytes: number
}

/** Applies one mutation to a copy of `value` at the slot `choice` picks. */
function mutate(
  original: unknown,
  kind: MutationKind,
  choice: number,
  replacement: unknown,
  key: string,
  size: number,
): unknown {
  const root = { value: structuredClone(original) }
  const slots = slotsOf(root.value, root as unknown as Record<string, unknown>, 'value')
  const slot = slots[choice % slots.length]!
  const objects = slots.filter((candidate) => typeof candidate.value === 'object' && candidate.value !== null)
  const container = objects[choice % Math.max(objects.length, 1)]?.value as
    | Record<string, unknown>
    | unknown[]
    | undefined
  const replace = (value: unknown) => {
    if (slot.parent !== undefined && slot.key !== undefined) setOwn(slot.parent, slot.key, value)
  }
  switch (kind) {
    case 'wrong-type':
    case 'hostile-string':
      replace(replacement)
      break
    case 'drop-key':
      if (slot.parent !== undefined && slot.key !== undefined && slot.parent !== (root as unknown)) {
        if (Array.isArray(slot.parent)) slot.parent.splice(Number(slot.key), 1)
        else delete slot.parent[slot.key]
      }
      break
    case 'extra-key':
    case 'poison-key':
      if (container === undefined) root.value = { [key]: replacement, value: root.value }
      else setOwn(container, Array.isArray(container) ? container.length : key, replacement)
      break
    case 'deep-nesting':
      replace(deeplyNested(size, choice % 2 === 0 ? 'array' : 'object'))
      break
    case 'huge-string':
      replace('x'.repeat(size))
      break
  }
  return root.value
}

/** The schema's values with one hostile change each (sometimes two), and now and then left as they are. */
export function mutatedArbitrary(
  schema: JsonSchema,
  hints: SchemaHints,
  options: MutationOptions,
): fc.Arbitrary<unknown> {
  const limit = options.bodyLimitBytes
  const one = (value: fc.Arbitrary<unknown>) =>
    fc
      .record({
        value,
        kind: fc.constantFrom(...mutationKinds),
        choice: fc.nat(),
        replacement: hostileValue,
        key: fc.oneof(
          fc.constantFrom('__proto__', 'constructor', 'prototype'),
          fc.constantFrom('extra', 'toString', 'valueOf', '', ' '),
          fc.string({ maxLength: 12 }),
        ),
        poison: fc.constantFrom('__proto__', 'constructor', 'prototype'),
        depth: fc.constantFrom(32, 256, 1_000, 5_000, 20_000),
        length: fc.constantFrom(limit - 512, limit - 64, limit + 1, 2 * limit),
      })
      .map(({ value: original, kind, choice, replacement, key, poison, depth, length }) =>
        mutate(
          original,
          kind,
          choice,
          kind === 'poison-key' ? { [key]: replacement, polluted: true } : replacement,
          kind === 'poison-key' ? poison : key,
          kind === 'deep-nesting' ? depth : length,
        ),
      )
  const valid = schemaArbitrary(schema, hints)
  return fc.oneof(
    { arbitrary: valid, weight: 2 },
    { arbitrary: one(valid), weight: 4 },
    { arbitrary: one(one(valid)), weight: 1 },
  )
}
