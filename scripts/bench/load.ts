/** The load: autocannon POSTing varied lead bodies, with latencies kept at sub-millisecond precision. */

import autocannon, { type AutocannonRequest, type Result } from 'autocannon'

/** Customers whose events interleave: each gets 3 events, this many requests apart, so most events merge into a lead
 * that was committed earlier rather than into one still in flight. */
const interleave = 500

const events = [
  'AzureMarketplace-INS|contoso.crm-suite',
  'AzureMarketplace-PLT|contoso.crm-suite',
  'TestDrive-StartTestDrive|contoso.crm-suite',
] as const

/** The body of the `sequence`-th request: customer `user<N>`, one of three different events per customer. Every body
 * is distinct, so none is dropped as a duplicate and every 2xx is a new stored event. */
export function leadBody(sequence: number): string {
  const block = Math.floor(sequence / (interleave * events.length))
  const position = sequence % (interleave * events.length)
  const customer = block * interleave + (position % interleave)
  const event = events[Math.floor(position / interleave)]!
  return JSON.stringify({
    LeadSource: event,
    CustomerInfo: {
      FirstName: 'A',
      LastName: 'B',
      Email: `user${customer}@example.com`,
      Phone: '+1 425 555 0100',
      Country: 'US',
      Company: 'Contoso',
      Title: 'CTO',
    },
  })
}

export interface LoadTarget {
  readonly url: string
  readonly headers: Readonly<Record<string, string>>
  /** Default `/v1/leads`. */
  readonly path?: string
  /** Told of every 2xx with the body that was sent and the answer's body. */
  readonly onAcknowledged?: (requestBody: string, responseBody: string) => void
}

export interface PhaseResult {
  readonly result: Result
  /** Latencies of 2xx responses in ms, sorted. */
  readonly latencies: Float64Array
  readonly seconds: number
  /** CPU seconds the load generator (this process) used during the phase. */
  readonly generatorCpuSeconds: number
}

/** Bodies of the 2xx responses, across phases: the receipts that must be found in the store afterwards. */
export type Acknowledged = string[]

export function percentile(sorted: Float64Array, fraction: number): number {
  if (sorted.length === 0) return Number.NaN
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]!
}

/** Runs autocannon for `seconds` at `connections`, continuing the body sequence from `sequence.next`. */
export function runPhase(
  target: LoadTarget,
  options: { connections: number; seconds: number },
  sequence: { next: number },
  acknowledged: Acknowledged,
): Promise<PhaseResult> {
  const latencies: number[] = []
  const cpuBefore = process.cpuUsage()
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: target.url,
        connections: options.connections,
        duration: options.seconds,
        method: 'POST',
        headers: { ...target.headers, 'content-type': 'application/json' },
        requests: [
          {
            method: 'POST',
            path: target.path ?? '/v1/leads',
            setupRequest: (request: AutocannonRequest, context) => {
              request.body = leadBody(sequence.next++)
              // No pipelining: one request in flight per connection, so its answer is to this body.
              context.body = request.body
              return request
            },
            onResponse: (status, body, context) => {
              if (status < 200 || status >= 300) return
              acknowledged.push(body)
              target.onAcknowledged?.(context.body as string, body)
            },
          },
        ],
      },
      (error, result) => {
        if (error) {
          reject(error)
          return
        }
        latencies.sort((a, b) => a - b)
        const cpu = process.cpuUsage(cpuBefore)
        resolve({
          result,
          latencies: Float64Array.from(latencies),
          seconds: result.duration,
          generatorCpuSeconds: (cpu.user + cpu.system) / 1e6,
        })
      },
    )
    instance.on('response', (_client: unknown, status: number, _bytes: number, responseTime: number) => {
      if (status >= 200 && status < 300) latencies.push(responseTime)
    })
  })
}
