/**
 * The one body parser: JSON, as senders really send it. Media-type parameters are allowed (`application/json;
 * charset=utf-8` is what .NET's HttpClient sends) in any case and spacing, and `application/*+json` types too. JSON
 * is UTF-8 (RFC 8259 §8.1), so a charset other than UTF-8 is refused with a 415 naming it rather than misread; a
 * UTF-8 byte order mark, which RFC 8259 lets a parser ignore, is dropped. Bodies nested deeper than `maxBodyDepth`
 * are refused before anything walks them.
 */

import type { FastifyInstance } from 'fastify'
import secureJson from 'secure-json-parse'
import { AppError } from '../core/errors.ts'
import { maxBodyDepth, nestsDeeperThan } from '../core/json-depth.ts'

/** `application/json` or `application/<anything>+json`, with or without parameters (Fastify lower-cases the type). */
const jsonMediaType = /^application\/([\w.+-]+\+)?json\s*(;|$)/

const charsetParameter = /;\s*charset\s*=\s*(?:"([^"]*)"|([^;\s]*))/i

/** The charset a Content-Type header names, lower-cased, or undefined when it names none. */
export function charsetOf(contentType: string | undefined): string | undefined {
  const match = contentType?.match(charsetParameter)
  if (!match) return undefined
  return (match[1] ?? match[2] ?? '').trim().toLowerCase()
}

function isUtf8(charset: string): boolean {
  return charset === 'utf-8' || charset === 'utf8'
}

export function registerJsonBodyParser(app: FastifyInstance): void {
  // Only JSON is accepted; anything else is a 415 rather than a guess.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser(jsonMediaType, { parseAs: 'string' }, (request, body, done) => {
    const charset = charsetOf(request.headers['content-type'])
    if (charset !== undefined && !isUtf8(charset)) {
      done(
        new AppError(
          'UNSUPPORTED_MEDIA_TYPE',
          `JSON must be sent as UTF-8 (RFC 8259); the Content-Type names charset "${charset.slice(0, 40)}". Send charset=utf-8 or no charset`,
          { field: 'Content-Type' },
        ),
        undefined,
      )
      return
    }
    let parsed: unknown
    try {
      let text = body as string
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
      if (text === '') throw new Error('the body is empty')
      parsed = secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' })
    } catch (error) {
      done(
        new AppError('INVALID_JSON', `The body is not valid JSON: ${(error as Error).message}`, { field: '$' }),
        undefined,
      )
      return
    }
    if (nestsDeeperThan(parsed, maxBodyDepth)) {
      done(
        new AppError('BODY_TOO_DEEP', `The body nests objects and arrays more than ${maxBodyDepth} levels deep`, {
          field: '$',
        }),
        undefined,
      )
      return
    }
    done(null, parsed)
  })
}
