/**
 * The operations an OpenAPI 3.1 document describes, with `$ref`s resolved: what a spec-driven test needs to build
 * requests for every route without a hand-written list.
 */

/** A JSON Schema as the document carries it; only the keywords a test generator reads are named. */
export interface JsonSchema {
  readonly $ref?: string
  readonly type?: string | readonly string[]
  readonly enum?: readonly unknown[]
  readonly const?: unknown
  readonly format?: string
  readonly minLength?: number
  readonly maxLength?: number
  readonly minimum?: number
  readonly maximum?: number
  readonly exclusiveMinimum?: number
  readonly exclusiveMaximum?: number
  readonly minItems?: number
  readonly maxItems?: number
  readonly items?: JsonSchema
  readonly properties?: Readonly<Record<string, JsonSchema>>
  readonly required?: readonly string[]
  readonly additionalProperties?: boolean | JsonSchema
  readonly anyOf?: readonly JsonSchema[]
  readonly oneOf?: readonly JsonSchema[]
  readonly examples?: readonly unknown[]
  readonly [keyword: string]: unknown
}

export interface OperationParameter {
  readonly name: string
  readonly in: 'path' | 'query' | 'header'
  readonly required: boolean
  readonly schema: JsonSchema
}

export interface ApiOperation {
  /** Upper case: `GET`, `POST`, … */
  readonly method: string
  /** The path template as the document writes it, e.g. `/v1/leads/{leadId}`. */
  readonly path: string
  readonly pathParameters: readonly OperationParameter[]
  readonly queryParameters: readonly OperationParameter[]
  readonly headerParameters: readonly OperationParameter[]
  /** The `application/json` request body schema, resolved; undefined when the operation takes no body. */
  readonly body: JsonSchema | undefined
  /** Whether the operation names a security requirement (a Bearer API key). */
  readonly secured: boolean
}

interface OpenApiDocument {
  readonly components?: { readonly schemas?: Readonly<Record<string, JsonSchema>> }
  readonly paths: Readonly<Record<string, Readonly<Record<string, unknown>>>>
}

const methods = ['get', 'put', 'post', 'patch', 'delete'] as const

/** Replaces every local `$ref` by its target; refuses anything else rather than guess. */
export function resolveRefs(schema: JsonSchema, document: OpenApiDocument, seen: readonly string[] = []): JsonSchema {
  if (schema.$ref !== undefined) {
    const match = /^#\/components\/schemas\/(.+)$/.exec(schema.$ref)
    const target = match?.[1] === undefined ? undefined : document.components?.schemas?.[match[1]]
    if (target === undefined) throw new Error(`Cannot resolve ${schema.$ref}`)
    if (seen.includes(schema.$ref)) return {}
    return resolveRefs(target, document, [...seen, schema.$ref])
  }
  const resolved: Record<string, unknown> = {}
  for (const [keyword, value] of Object.entries(schema)) {
    if (keyword === 'properties' && typeof value === 'object' && value !== null) {
      resolved[keyword] = Object.fromEntries(
        Object.entries(value as Record<string, JsonSchema>).map(([name, property]) => [
          name,
          resolveRefs(property, document, seen),
        ]),
      )
    } else if ((keyword === 'anyOf' || keyword === 'oneOf' || keyword === 'allOf') && Array.isArray(value)) {
      resolved[keyword] = value.map((item: JsonSchema) => resolveRefs(item, document, seen))
    } else if ((keyword === 'items' || keyword === 'additionalProperties') && typeof value === 'object' && value) {
      resolved[keyword] = resolveRefs(value as JsonSchema, document, seen)
    } else {
      resolved[keyword] = value
    }
  }
  return resolved as JsonSchema
}

/** Every operation of the document, in document order. */
export function operationsOf(document: OpenApiDocument): ApiOperation[] {
  const operations: ApiOperation[] = []
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of methods) {
      const operation = item[method] as
        | {
            parameters?: readonly { name: string; in: string; required?: boolean; schema?: JsonSchema }[]
            requestBody?: { content?: Record<string, { schema?: JsonSchema }> }
            security?: readonly unknown[]
          }
        | undefined
      if (operation === undefined) continue
      const parameters = (operation.parameters ?? []).map((parameter) => ({
        name: parameter.name,
        in: parameter.in as OperationParameter['in'],
        required: parameter.required === true,
        schema: resolveRefs(parameter.schema ?? {}, document),
      }))
      const bodySchema = operation.requestBody?.content?.['application/json']?.schema
      operations.push({
        method: method.toUpperCase(),
        path,
        pathParameters: parameters.filter((parameter) => parameter.in === 'path'),
        queryParameters: parameters.filter((parameter) => parameter.in === 'query'),
        headerParameters: parameters.filter((parameter) => parameter.in === 'header'),
        body: bodySchema === undefined ? undefined : resolveRefs(bodySchema, document),
        secured: (operation.security ?? []).length > 0,
      })
    }
  }
  return operations
}
