/** The part of `oidc-provider` (a test-only dependency without bundled types) the sign-in browser test uses. */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http'

  interface Account {
    accountId: string
    claims(): Promise<Record<string, unknown>>
  }

  export default class Provider {
    constructor(
      issuer: string,
      configuration: Record<string, unknown> & {
        findAccount?: (context: unknown, sub: string) => Promise<Account | undefined>
      },
    )
    callback(): (request: IncomingMessage, response: ServerResponse) => void
  }
}
