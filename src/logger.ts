/** JSON logs that never carry customer data or secrets: requests are logged by method, redacted URL and status. */

import { type DestinationStream, type Logger, pino } from 'pino'

export type { Logger }

/** Ingest URLs carry a secret: it never reaches a log line. */
export function redactUrl(url: string): string {
  return url.replace(/(\/ingest\/microsoft\/)[^/?#]+/, '$1[redacted]')
}

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'leadrelay' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [
          '*.authorization',
          '*.headers.authorization',
          '*.apiKey',
          '*.secret',
          '*.secrets',
          '*.email',
          '*.phone',
        ],
        censor: '[redacted]',
      },
      serializers: {
        req: (request: { method: string; url: string; id: string }) => ({
          id: request.id,
          method: request.method,
          url: redactUrl(request.url),
        }),
        res: (reply: { statusCode: number }) => ({ statusCode: reply.statusCode }),
      },
    },
    destination,
  )
}
