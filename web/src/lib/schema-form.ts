/**
 * Form fields from a connector's config JSON Schema (`GET /v1/destination-kinds`): one field per property, with
 * the checks the schema states, so a publisher sees a mistake next to the field before the server refuses it.
 * Anything the form cannot model (nested objects, unions) becomes a JSON text field, still validated as JSON.
 */

import type { JsonSchema } from '../api/types.ts'

export type FieldKind = 'text' | 'enum' | 'number' | 'boolean' | 'map' | 'json'

export interface FieldModel {
  readonly key: string
  readonly label: string
  readonly kind: FieldKind
  readonly required: boolean
  /** `null` is allowed: an empty field sends null. */
  readonly nullable: boolean
  readonly description?: string
  readonly format?: string
  readonly pattern?: string
  readonly minLength?: number
  readonly maxLength?: number
  readonly minimum?: number
  readonly maximum?: number
  readonly integer: boolean
  readonly options?: readonly string[]
  readonly default?: unknown
  /** For `map`: the longest value allowed. */
  readonly valueMaxLength?: number
  /** For `json`: whether the value must be an object or an array. */
  readonly jsonType?: 'object' | 'array'
}

export interface MapEntry {
  readonly name: string
  readonly value: string
}

export type FieldValue = string | boolean | readonly MapEntry[]
export type FormValues = Readonly<Record<string, FieldValue>>

const acronyms: Readonly<Record<string, string>> = { url: 'URL', id: 'ID', api: 'API', uri: 'URI', rest: 'REST' }

/** `timeoutMs` → "Timeout (ms)", `environmentUrl` → "Environment URL". */
export function humanize(key: string): string {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .trim()
    .split(/\s+/)
    .map((word) => word.toLowerCase())
  let unit = ''
  if (words.length > 1 && words[words.length - 1] === 'ms') {
    words.pop()
    unit = ' (ms)'
  }
  const text = words.map((word, index) => {
    const acronym = acronyms[word]
    if (acronym) return acronym
    return index === 0 ? word.charAt(0).toUpperCase() + word.slice(1) : word
  })
  return text.join(' ') + unit
}

function typesOf(schema: JsonSchema): string[] {
  if (Array.isArray(schema.type)) return schema.type
  return schema.type ? [schema.type] : []
}

/** The schema without its `null` alternative, and whether there was one. */
function unwrapNullable(schema: JsonSchema): { base: JsonSchema; nullable: boolean } {
  if (schema.anyOf) {
    const others = schema.anyOf.filter((option) => !typesOf(option).includes('null') || typesOf(option).length > 1)
    if (others.length === 1 && others.length < schema.anyOf.length) {
      return { base: { ...others[0]!, default: schema.default, description: schema.description }, nullable: true }
    }
    return { base: schema, nullable: false }
  }
  const types = typesOf(schema)
  if (types.includes('null') && types.length === 2) {
    return { base: { ...schema, type: types.find((type) => type !== 'null')! }, nullable: true }
  }
  return { base: schema, nullable: false }
}

function kindOf(schema: JsonSchema): FieldKind {
  if (schema.anyOf) return 'json'
  if (schema.enum && schema.enum.length > 0 && schema.enum.every((value) => typeof value === 'string')) return 'enum'
  const [type] = typesOf(schema)
  if (type === 'string') return 'text'
  if (type === 'integer' || type === 'number') return 'number'
  if (type === 'boolean') return 'boolean'
  if (type === 'object' && !schema.properties && typeof schema.additionalProperties === 'object') {
    const [valueType] = typesOf(schema.additionalProperties)
    if (valueType === 'string' && !schema.additionalProperties.enum) return 'map'
  }
  return 'json'
}

/** The form's fields, in the schema's property order. */
export function fieldsOf(schema: JsonSchema): FieldModel[] {
  const required = new Set(schema.required ?? [])
  return Object.entries(schema.properties ?? {}).map(([key, property]) => {
    const { base, nullable } = unwrapNullable(property)
    const kind = kindOf(base)
    const [type] = typesOf(base)
    const field: FieldModel = {
      key,
      label: base.title ?? humanize(key),
      kind,
      required: required.has(key) && base.default === undefined,
      nullable,
      integer: type === 'integer',
      ...(base.description !== undefined && { description: base.description }),
      ...(base.format !== undefined && { format: base.format }),
      ...(base.pattern !== undefined && { pattern: base.pattern }),
      ...(base.minLength !== undefined && { minLength: base.minLength }),
      ...(base.maxLength !== undefined && { maxLength: base.maxLength }),
      ...(base.minimum !== undefined && { minimum: base.minimum }),
      ...(base.exclusiveMinimum !== undefined && { minimum: base.exclusiveMinimum }),
      ...(base.maximum !== undefined && { maximum: base.maximum }),
      ...(base.exclusiveMaximum !== undefined && { maximum: base.exclusiveMaximum }),
      ...(kind === 'enum' && { options: base.enum as string[] }),
      ...(base.default !== undefined && { default: base.default }),
      ...(kind === 'map' &&
        typeof base.additionalProperties === 'object' &&
        base.additionalProperties.maxLength !== undefined && { valueMaxLength: base.additionalProperties.maxLength }),
      ...(kind === 'json' && (type === 'object' || type === 'array') && { jsonType: type }),
    }
    return field
  })
}

/** Values for the inputs: the stored config when editing, the schema's defaults when creating. */
export function initialValues(fields: readonly FieldModel[], config?: Readonly<Record<string, unknown>>): FormValues {
  const values: Record<string, FieldValue> = {}
  for (const field of fields) {
    const value = config ? config[field.key] : field.default
    switch (field.kind) {
      case 'boolean':
        values[field.key] = value === true
        break
      case 'map':
        values[field.key] =
          value && typeof value === 'object'
            ? Object.entries(value as Record<string, unknown>).map(([name, text]) => ({ name, value: String(text) }))
            : []
        break
      case 'json':
        values[field.key] = value === undefined ? '' : JSON.stringify(value, null, 2)
        break
      default:
        values[field.key] = value === undefined || value === null ? '' : String(value)
    }
  }
  return values
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text)
    return url.protocol === 'https:' || url.protocol === 'http:'
  } catch {
    return false
  }
}

function matches(pattern: string, text: string): boolean {
  try {
    return new RegExp(pattern, 'u').test(text)
  } catch {
    // A pattern this browser cannot compile is left to the server.
    return true
  }
}

function range(field: FieldModel): string {
  if (field.minimum !== undefined && field.maximum !== undefined) return `between ${field.minimum} and ${field.maximum}`
  if (field.minimum !== undefined) return `at least ${field.minimum}`
  return `at most ${field.maximum}`
}

/** What is wrong with one field's value, in words for the publisher; undefined when it is fine. */
export function validateField(field: FieldModel, value: FieldValue | undefined): string | undefined {
  switch (field.kind) {
    case 'boolean':
      return undefined
    case 'map': {
      const entries = (value ?? []) as readonly MapEntry[]
      const seen = new Set<string>()
      for (const entry of entries) {
        const name = entry.name.trim()
        if (name === '' && entry.value === '') continue
        if (name === '') return 'Every entry needs a name'
        if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) return `"${name}" is not a valid name (letters, digits, -)`
        if (seen.has(name.toLowerCase())) return `"${name}" is listed twice`
        seen.add(name.toLowerCase())
        if (field.valueMaxLength !== undefined && entry.value.length > field.valueMaxLength)
          return `The value of "${name}" is longer than ${field.valueMaxLength} characters`
      }
      return field.required && seen.size === 0 ? `${field.label} is required` : undefined
    }
    case 'json': {
      const text = String(value ?? '').trim()
      if (text === '') return field.required ? `${field.label} is required` : undefined
      let parsed: unknown
      try {
        parsed = JSON.parse(text)
      } catch (error) {
        return `Not valid JSON: ${(error as Error).message}`
      }
      if (field.jsonType === 'object' && (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)))
        return 'Must be a JSON object, like {"name": "value"}'
      if (field.jsonType === 'array' && !Array.isArray(parsed)) return 'Must be a JSON array, like ["a", "b"]'
      return undefined
    }
    case 'enum': {
      const text = String(value ?? '')
      if (text === '') return field.required ? `Choose a ${field.label.toLowerCase()}` : undefined
      return field.options?.includes(text) ? undefined : `Choose one of: ${field.options?.join(', ')}`
    }
    case 'number': {
      const text = String(value ?? '').trim()
      if (text === '') return field.required && !field.nullable ? `${field.label} is required` : undefined
      const number = Number(text)
      if (!Number.isFinite(number)) return 'Enter a number'
      if (field.integer && !Number.isInteger(number)) return 'Enter a whole number'
      if (
        (field.minimum !== undefined && number < field.minimum) ||
        (field.maximum !== undefined && number > field.maximum)
      )
        return `Must be ${range(field)}`
      return undefined
    }
    case 'text': {
      const text = String(value ?? '').trim()
      if (text === '') return field.required ? `${field.label} is required` : undefined
      if (field.minLength !== undefined && text.length < field.minLength)
        return `At least ${field.minLength} characters`
      if (field.maxLength !== undefined && text.length > field.maxLength) return `At most ${field.maxLength} characters`
      if ((field.format === 'uri' || field.format === 'url') && !isHttpUrl(text))
        return 'Enter a full URL starting with https://'
      if (field.format === 'email' && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(text)) return 'Enter an email address'
      if (field.pattern !== undefined && !matches(field.pattern, text)) return 'This does not have the expected format'
      return undefined
    }
  }
}

export function validateAll(fields: readonly FieldModel[], values: FormValues): Record<string, string> {
  const errors: Record<string, string> = {}
  for (const field of fields) {
    const message = validateField(field, values[field.key])
    if (message) errors[field.key] = message
  }
  return errors
}

/** The config to send: typed values, empty optional fields left out so the connector's defaults apply. */
export function toConfig(fields: readonly FieldModel[], values: FormValues): Record<string, unknown> {
  const config: Record<string, unknown> = {}
  for (const field of fields) {
    const value = values[field.key]
    switch (field.kind) {
      case 'boolean':
        config[field.key] = value === true
        break
      case 'map': {
        const entries = ((value ?? []) as readonly MapEntry[]).filter((entry) => entry.name.trim() !== '')
        if (entries.length > 0)
          config[field.key] = Object.fromEntries(entries.map((entry) => [entry.name.trim(), entry.value]))
        break
      }
      case 'json': {
        const text = String(value ?? '').trim()
        if (text !== '') config[field.key] = JSON.parse(text)
        break
      }
      case 'number': {
        const text = String(value ?? '').trim()
        if (text !== '') config[field.key] = Number(text)
        else if (field.nullable) config[field.key] = null
        break
      }
      default: {
        const text = String(value ?? '').trim()
        if (text !== '') config[field.key] = text
      }
    }
  }
  return config
}

/**
 * Where a server-side validation error belongs: `config.url` → the `url` field, `secrets.signingSecret` → that
 * secret, `name` → the name; undefined for anything else.
 */
export function fieldOfProblem(field: string | undefined): string | undefined {
  if (!field) return undefined
  if (field === 'name') return 'name'
  const config = field.match(/^config\.([^.]+)/)
  if (config) return config[1]
  const secret = field.match(/^secrets\.([^.]+)/)
  if (secret) return `secret:${secret[1]}`
  return undefined
}
