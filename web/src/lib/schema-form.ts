/**
 * Form fields from a connector's config JSON Schema (`GET /v1/destination-kinds`): one field per property, with
 * the checks the schema states, so a publisher sees a mistake next to the field before the server refuses it.
 * A top-level `oneOf`/`anyOf` of objects is a choice between shapes (e.g. Salesforce's REST API or Web-to-Lead),
 * nested objects are groups of fields, lists of strings are one item per line, and settings marked `x-when` show
 * only when the settings they depend on have the given values. Anything else (records of objects, unions of
 * objects below the top) becomes a JSON text field, still validated as JSON.
 */

import type { JsonSchema } from '../api/types.ts'

export type FieldKind = 'text' | 'enum' | 'number' | 'boolean' | 'map' | 'list' | 'json' | 'object'

/** Settings → the values under which something applies (`x-when`, `SecretField.when`). */
export type Condition = Readonly<Record<string, readonly string[]>>

export interface FieldModel {
  /** The path from the config root, dot-separated: `fieldMap.omit`. */
  readonly key: string
  readonly label: string
  readonly kind: FieldKind
  readonly required: boolean
  /** `null` is allowed: an empty field sends null. */
  readonly nullable: boolean
  readonly description?: string
  readonly format?: string
  /** Patterns of which the value must match one. */
  readonly patterns?: readonly string[]
  readonly minLength?: number
  readonly maxLength?: number
  readonly minimum?: number
  readonly maximum?: number
  readonly integer: boolean
  /** For `enum`: the values; for `text`: suggested values (also valid whatever the patterns say). */
  readonly options?: readonly string[]
  /** Enum values in the vendor's words (`x-enum-labels`). */
  readonly optionLabels?: Readonly<Record<string, string>>
  readonly default?: unknown
  /** For `map`: the longest value allowed. */
  readonly valueMaxLength?: number
  /** For `json`: whether the value must be an object or an array. */
  readonly jsonType?: 'object' | 'array'
  /** For `object`: its fields. */
  readonly fields?: readonly FieldModel[]
  /** Shown only when these top-level settings have one of the listed values. */
  readonly when?: Condition
}

/** One shape of the config; a schema without a top-level union has exactly one. */
export interface Variant {
  /** The discriminator's constant for this shape, e.g. `api`. */
  readonly value?: string
  readonly label: string
  readonly description?: string
  readonly fields: readonly FieldModel[]
}

export interface FormModel {
  /** The legend of the choice between shapes, when there are several. */
  readonly choiceLabel?: string
  /** The property whose constant tells the shapes apart (e.g. `mode`); sent with the chosen shape's value. */
  readonly discriminator?: string
  readonly variants: readonly Variant[]
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

const isNullSchema = (schema: JsonSchema) => typesOf(schema).length === 1 && typesOf(schema)[0] === 'null'

/** The schema without its `null` alternative, and whether there was one. */
function unwrapNullable(schema: JsonSchema): { base: JsonSchema; nullable: boolean } {
  const union = schema.anyOf ?? schema.oneOf
  if (union) {
    const others = union.filter((option) => !isNullSchema(option))
    const { anyOf: _anyOf, oneOf: _oneOf, ...outer } = schema
    if (others.length === 1 && others.length < union.length) {
      return { base: { ...others[0]!, ...outer }, nullable: true }
    }
    return { base: schema, nullable: others.length < union.length }
  }
  const types = typesOf(schema)
  if (types.includes('null') && types.length === 2) {
    return { base: { ...schema, type: types.find((type) => type !== 'null')! }, nullable: true }
  }
  return { base: schema, nullable: false }
}

/** A union whose options are all strings (an enum or a pattern): one text field with suggestions. */
function stringUnion(options: readonly JsonSchema[]): { suggestions: string[]; patterns: string[] } | undefined {
  const strings = options.filter((option) => !isNullSchema(option))
  if (strings.length === 0 || !strings.every((option) => typesOf(option).includes('string') || option.enum)) {
    return undefined
  }
  return {
    suggestions: strings.flatMap((option) => (option.enum ?? []).filter((value) => typeof value === 'string')),
    patterns: strings.flatMap((option) => (option.pattern === undefined ? [] : [option.pattern])),
  }
}

function kindOf(schema: JsonSchema): FieldKind {
  const union = schema.anyOf ?? schema.oneOf
  if (union) return stringUnion(union) ? 'text' : 'json'
  if (schema.enum && schema.enum.length > 0 && schema.enum.every((value) => typeof value === 'string')) return 'enum'
  const [type] = typesOf(schema)
  if (type === 'string') return 'text'
  if (type === 'integer' || type === 'number') return 'number'
  if (type === 'boolean') return 'boolean'
  if (type === 'object' && schema.properties && Object.keys(schema.properties).length > 0) return 'object'
  if (type === 'object' && !schema.properties && typeof schema.additionalProperties === 'object') {
    const [valueType] = typesOf(schema.additionalProperties)
    if (valueType === 'string' && !schema.additionalProperties.enum) return 'map'
  }
  if (type === 'array' && schema.items && typesOf(schema.items)[0] === 'string' && !schema.items.enum) return 'list'
  return 'json'
}

function conditionOf(value: unknown): Condition | undefined {
  if (!value || typeof value !== 'object') return undefined
  const entries = Object.entries(value as Record<string, unknown>).filter(
    (entry): entry is [string, string[]] => Array.isArray(entry[1]) && entry[1].every((v) => typeof v === 'string'),
  )
  return entries.length > 0 ? Object.fromEntries(entries) : undefined
}

function fieldOf(key: string, property: JsonSchema, required: boolean): FieldModel {
  const { base, nullable } = unwrapNullable(property)
  const kind = kindOf(base)
  const [type] = typesOf(base)
  const union = base.anyOf ?? base.oneOf
  const strings = kind === 'text' && union ? stringUnion(union) : undefined
  const name = key.slice(key.lastIndexOf('.') + 1)
  const labels = base['x-enum-labels']
  const when = conditionOf(base['x-when'])
  return {
    key,
    label: base.title ?? humanize(name),
    kind,
    required: required && base.default === undefined,
    nullable,
    integer: type === 'integer',
    ...(base.description !== undefined && { description: base.description }),
    ...(base.format !== undefined && { format: base.format }),
    ...(base.pattern !== undefined && { patterns: [base.pattern] }),
    ...(strings && strings.patterns.length > 0 && { patterns: strings.patterns }),
    ...(strings && strings.suggestions.length > 0 && { options: strings.suggestions }),
    ...(base.minLength !== undefined && { minLength: base.minLength }),
    ...(base.maxLength !== undefined && { maxLength: base.maxLength }),
    ...(base.minimum !== undefined && { minimum: base.minimum }),
    ...(base.exclusiveMinimum !== undefined && { minimum: base.exclusiveMinimum }),
    ...(base.maximum !== undefined && { maximum: base.maximum }),
    ...(base.exclusiveMaximum !== undefined && { maximum: base.exclusiveMaximum }),
    ...(kind === 'enum' && { options: base.enum as string[] }),
    ...(labels && typeof labels === 'object' && { optionLabels: labels as Record<string, string> }),
    ...(base.default !== undefined && { default: base.default }),
    ...(kind === 'map' &&
      typeof base.additionalProperties === 'object' &&
      base.additionalProperties.maxLength !== undefined && { valueMaxLength: base.additionalProperties.maxLength }),
    ...(kind === 'json' && (type === 'object' || type === 'array') && { jsonType: type }),
    ...(kind === 'object' && { fields: fieldsOf(base, `${key}.`) }),
    ...(when && { when }),
  }
}

/** The fields of an object schema, in its property order; `prefix` is the path of the object itself. */
export function fieldsOf(schema: JsonSchema, prefix = ''): FieldModel[] {
  const required = new Set(schema.required ?? [])
  return Object.entries(schema.properties ?? {}).map(([name, property]) =>
    fieldOf(`${prefix}${name}`, property, required.has(name)),
  )
}

/** The property every option fixes to a different constant, if there is one. */
function discriminatorOf(options: readonly JsonSchema[]): string | undefined {
  const [first] = options
  for (const name of Object.keys(first?.properties ?? {})) {
    const constants = options.map((option) => option.properties?.[name]?.const)
    if (constants.every((value) => typeof value === 'string') && new Set(constants).size === options.length) {
      return name
    }
  }
  return undefined
}

/** The form for a config schema: its shapes, each with its fields (a discriminator is not a field: it is the choice). */
export function formOf(schema: JsonSchema): FormModel {
  const options = (schema.oneOf ?? schema.anyOf)?.filter((option) => option.properties)
  if (!options || options.length === 0) {
    return { variants: [{ label: schema.title ?? 'Settings', fields: fieldsOf(schema) }] }
  }
  const discriminator = discriminatorOf(options)
  return {
    choiceLabel: schema.title ?? (discriminator ? humanize(discriminator) : 'Kind of settings'),
    ...(discriminator !== undefined && { discriminator }),
    variants: options.map((option, index) => {
      const value = discriminator === undefined ? undefined : String(option.properties?.[discriminator]?.const)
      return {
        ...(value !== undefined && { value }),
        label: option.title ?? value ?? `Option ${index + 1}`,
        ...(option.description !== undefined && { description: option.description }),
        fields: fieldsOf(option).filter((field) => field.key !== discriminator),
      }
    }),
  }
}

/** Which shape a stored config has: by its discriminator, else the first whose defaults allow a missing one. */
export function variantIndexOf(form: FormModel, config?: Readonly<Record<string, unknown>>): number {
  if (!form.discriminator || !config) return 0
  const index = form.variants.findIndex((variant) => variant.value === config[form.discriminator!])
  return Math.max(index, 0)
}

/** Every field that holds a value (the fields of objects, not the objects). */
export function leafFields(fields: readonly FieldModel[]): FieldModel[] {
  return fields.flatMap((field) => (field.kind === 'object' ? leafFields(field.fields ?? []) : [field]))
}

function valueAt(config: Readonly<Record<string, unknown>> | undefined, key: string): unknown {
  let value: unknown = config
  for (const part of key.split('.')) {
    if (!value || typeof value !== 'object') return undefined
    value = (value as Record<string, unknown>)[part]
  }
  return value
}

function defaultAt(fields: readonly FieldModel[], key: string): unknown {
  const [first, ...rest] = key.split('.')
  let field = fields.find((candidate) => candidate.key === first)
  let path = first
  for (const part of rest) {
    const outer = valueAt(field?.default as Record<string, unknown> | undefined, part)
    path = `${path}.${part}`
    const inner = field?.fields?.find((candidate) => candidate.key === path)
    if (!inner) return outer
    field = inner
  }
  return field?.default
}

const isEmptyContainer = (value: unknown) =>
  (Array.isArray(value) && value.length === 0) ||
  (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0)

/** Values for the inputs: the stored config when editing, the schema's defaults when creating. */
export function initialValues(fields: readonly FieldModel[], config?: Readonly<Record<string, unknown>>): FormValues {
  const values: Record<string, FieldValue> = {}
  for (const field of leafFields(fields)) {
    const value = config ? valueAt(config, field.key) : defaultAt(fields, field.key)
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
      case 'list':
        values[field.key] = Array.isArray(value) ? value.map(String).join('\n') : ''
        break
      case 'json':
        values[field.key] = value === undefined || isEmptyContainer(value) ? '' : JSON.stringify(value, null, 2)
        break
      default:
        values[field.key] = value === undefined || value === null ? '' : String(value)
    }
  }
  return values
}

/**
 * The value a condition compares: what the field holds, or its default when it is empty; `extra` adds values that
 * are not fields (the chosen shape's discriminator).
 */
export function conditionValues(
  fields: readonly FieldModel[],
  values: FormValues,
  extra: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const result: Record<string, string> = {}
  for (const field of fields) {
    if (field.kind === 'object') continue
    const value = values[field.key]
    if (typeof value === 'boolean') result[field.key] = String(value)
    else if (typeof value === 'string' && value.trim() !== '') result[field.key] = value.trim()
    else if (field.default !== undefined && field.default !== null) result[field.key] = String(field.default)
  }
  return { ...result, ...extra }
}

/** Whether something with this condition applies, given the current values. */
export function applies(when: Condition | undefined, current: Readonly<Record<string, string>>): boolean {
  if (!when) return true
  return Object.entries(when).every(([name, allowed]) => {
    const value = current[name]
    return value !== undefined && allowed.includes(value)
  })
}

/** The fields to show (and validate and send) for the current values. */
export function visibleFields(fields: readonly FieldModel[], current: Readonly<Record<string, string>>): FieldModel[] {
  return fields
    .filter((field) => applies(field.when, current))
    .map((field) =>
      field.kind === 'object' ? { ...field, fields: visibleFields(field.fields ?? [], current) } : field,
    )
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

/** How an enum value is shown: the vendor's words when the schema gives them. */
export function optionLabel(field: FieldModel, option: string): string {
  return field.optionLabels?.[option] ?? option
}

/** What is wrong with one field's value, in words for the publisher; undefined when it is fine. */
export function validateField(field: FieldModel, value: FieldValue | undefined): string | undefined {
  switch (field.kind) {
    case 'boolean':
    case 'object':
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
    case 'list': {
      const items = listItems(value)
      return field.required && items.length === 0 ? `${field.label} is required` : undefined
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
      return field.options?.includes(text)
        ? undefined
        : `Choose one of: ${field.options?.map((option) => optionLabel(field, option)).join(', ')}`
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
      if (text === '') return field.required && !field.nullable ? `${field.label} is required` : undefined
      if (field.options?.includes(text)) return undefined
      if (field.minLength !== undefined && text.length < field.minLength)
        return `At least ${field.minLength} characters`
      if (field.maxLength !== undefined && text.length > field.maxLength) return `At most ${field.maxLength} characters`
      if ((field.format === 'uri' || field.format === 'url') && !isHttpUrl(text))
        return 'Enter a full URL starting with https://'
      if (field.format === 'email' && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(text)) return 'Enter an email address'
      if (field.patterns && field.patterns.length > 0 && !field.patterns.some((pattern) => matches(pattern, text)))
        return field.options
          ? `Choose one of ${field.options.join(', ')}, or give a value in the expected format`
          : 'This does not have the expected format'
      return undefined
    }
  }
}

function listItems(value: FieldValue | undefined): string[] {
  return String(value ?? '')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
}

/** Errors of the given (visible) fields, by key. */
export function validateAll(fields: readonly FieldModel[], values: FormValues): Record<string, string> {
  const errors: Record<string, string> = {}
  for (const field of leafFields(fields)) {
    const message = validateField(field, values[field.key])
    if (message) errors[field.key] = message
  }
  return errors
}

function setAt(config: Record<string, unknown>, key: string, value: unknown): void {
  const parts = key.split('.')
  let target = config
  for (const part of parts.slice(0, -1)) {
    const next = target[part]
    if (!next || typeof next !== 'object') target[part] = {}
    target = target[part] as Record<string, unknown>
  }
  target[parts[parts.length - 1]!] = value
}

/**
 * The config to send for the given (visible) fields: typed values, empty optional fields left out so the
 * connector's defaults apply (an empty nullable field sends null), objects only when something in them is set.
 */
export function toConfig(fields: readonly FieldModel[], values: FormValues): Record<string, unknown> {
  const config: Record<string, unknown> = {}
  for (const field of leafFields(fields)) {
    const value = values[field.key]
    switch (field.kind) {
      case 'boolean':
        setAt(config, field.key, value === true)
        break
      case 'map': {
        const entries = ((value ?? []) as readonly MapEntry[]).filter((entry) => entry.name.trim() !== '')
        if (entries.length > 0)
          setAt(config, field.key, Object.fromEntries(entries.map((entry) => [entry.name.trim(), entry.value])))
        break
      }
      case 'list': {
        const items = listItems(value)
        if (items.length > 0) setAt(config, field.key, items)
        break
      }
      case 'json': {
        const text = String(value ?? '').trim()
        if (text !== '') setAt(config, field.key, JSON.parse(text))
        break
      }
      case 'number': {
        const text = String(value ?? '').trim()
        if (text !== '') setAt(config, field.key, Number(text))
        else if (field.nullable) setAt(config, field.key, null)
        break
      }
      default: {
        const text = String(value ?? '').trim()
        if (text !== '') setAt(config, field.key, text)
        else if (field.nullable) setAt(config, field.key, null)
      }
    }
  }
  return config
}

/**
 * Where a server-side validation error belongs: `config.url` → the `url` field, `config.fieldMap.omit` → that
 * nested field, `secrets.signingSecret` → that secret, `name` → the name; undefined for anything else.
 * `keys` are the form's field keys: the longest one the path starts with wins.
 */
export function fieldOfProblem(field: string | undefined, keys: readonly string[] = []): string | undefined {
  if (!field) return undefined
  if (field === 'name') return 'name'
  const config = field.match(/^config\.(.+)$/)
  if (config) {
    const path = config[1]!
    const known = [...keys]
      .sort((a, b) => b.length - a.length)
      .find((key) => path === key || path.startsWith(`${key}.`))
    return known ?? path.split('.')[0]
  }
  const secret = field.match(/^secrets\.([^.]+)/)
  if (secret) return `secret:${secret[1]}`
  return undefined
}
