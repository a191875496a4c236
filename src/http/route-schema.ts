/**
 * Routes declare their params, query, body and answers once, as zod schemas in Fastify's `schema` (typed through
 * `fastify-type-provider-zod`); the same declarations validate requests and make `/openapi.json`. Validation failures
 * are the catalogue's `VALIDATION_FAILED` naming the field (`validate.ts`), never Fastify's own 400 shape.
 */

import type { FastifyInstance, FastifySchemaCompiler, FastifySerializerCompiler } from 'fastify'
import type { z } from 'zod'
import { parseWith } from './validate.ts'

/**
 * Checks params, query and body with the route's zod schema; the parsed value (defaults, transforms) replaces the
 * request's. A missing body is an empty object, as it always was. Headers are only checked, never replaced: the
 * request keeps every header it came with.
 */
const zodValidatorCompiler: FastifySchemaCompiler<z.ZodType> = ({ schema, httpPart }) => {
  if (documentedOnly.has(schema)) return () => ({})
  return (data) => {
    try {
      const value = parseWith(schema, data)
      return httpPart === 'headers' ? {} : { value }
    } catch (error) {
      return { error: error as Error }
    }
  }
}

const documentedOnly = new WeakSet<z.ZodType>()

/**
 * Marks a schema that describes a request part for the document only, because the service checks that part itself:
 * a lead is kept whatever shape it comes in (LEAD_INVALID only for what cannot be read), and an Idempotency-Key is
 * IDEMPOTENCY_KEY_INVALID rather than VALIDATION_FAILED.
 */
export function checkedByService<T extends z.ZodType>(schema: T): T {
  documentedOnly.add(schema)
  return schema
}

/** An answer with a description and a JSON body, as a route's `response` entry. */
export function jsonAnswer<T extends z.ZodType>(description: string, schema: T) {
  return { description, content: { 'application/json': { schema } } }
}

/**
 * Writes answers as JSON, as they are. The declared answer schemas describe them in the document; a route's handler
 * is typed against its schema, so the two cannot drift apart silently.
 */
const jsonSerializerCompiler: FastifySerializerCompiler<unknown> = () => (data) => JSON.stringify(data)

/** Makes an app validate and serialize with its routes' zod schemas. */
export function registerRouteSchemas(app: FastifyInstance): void {
  app.setValidatorCompiler(zodValidatorCompiler)
  app.setSerializerCompiler(jsonSerializerCompiler)
}
