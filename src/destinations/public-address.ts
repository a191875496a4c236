/** Which IP addresses a destination may point at: public unicast only (the SSRF guard of http-client-node.ts). */

import { BlockList, isIP } from 'node:net'

/**
 * Every range a user-supplied URL must not reach: private, loopback, link-local (cloud metadata), CGNAT,
 * documentation, benchmarking, multicast, reserved, and the IPv6 transition prefixes that can embed any IPv4.
 */
export const blockedRanges = {
  ipv4: [
    ['0.0.0.0', 8],
    ['10.0.0.0', 8],
    ['100.64.0.0', 10],
    ['127.0.0.0', 8],
    ['169.254.0.0', 16],
    ['172.16.0.0', 12],
    ['192.0.0.0', 24],
    ['192.0.2.0', 24],
    ['192.88.99.0', 24],
    ['192.168.0.0', 16],
    ['198.18.0.0', 15],
    ['198.51.100.0', 24],
    ['203.0.113.0', 24],
    ['224.0.0.0', 4],
    ['240.0.0.0', 4],
    ['255.255.255.255', 32],
  ],
  ipv6: [
    // ::/96 holds ::, ::1 and the deprecated IPv4-compatible addresses (::a.b.c.d); nothing public lives there.
    ['::', 96],
    ['fe80::', 10],
    ['fc00::', 7],
    ['2001:db8::', 32],
    ['3fff::', 20],
    ['100::', 64],
    ['2002::', 16],
    ['64:ff9b::', 96],
    ['64:ff9b:1::', 48],
    ['5f00::', 16],
    ['ff00::', 8],
  ],
} as const satisfies Record<'ipv4' | 'ipv6', ReadonlyArray<readonly [string, number]>>

const blockList = new BlockList()
for (const [network, prefix] of blockedRanges.ipv4) blockList.addSubnet(network, prefix, 'ipv4')
for (const [network, prefix] of blockedRanges.ipv6) blockList.addSubnet(network, prefix, 'ipv6')

/** The eight 16-bit groups of a valid IPv6 address (as `net.isIP` accepts it), a dotted IPv4 tail included. */
function ipv6Groups(address: string): number[] {
  let text = address.toLowerCase()
  const lastColon = text.lastIndexOf(':')
  const tail = text.slice(lastColon + 1)
  if (tail.includes('.')) {
    const [a = 0, b = 0, c = 0, d = 0] = tail.split('.').map(Number)
    text = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const [head = '', rest] = text.split('::')
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((group) => Number.parseInt(group, 16)))
  const left = parse(head)
  if (rest === undefined) return left
  const right = parse(rest)
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right]
}

/** `::ffff:a.b.c.d` (however it is written) as `a.b.c.d`; undefined for any other IPv6 address. */
function mappedIpv4(address: string): string | undefined {
  const groups = ipv6Groups(address)
  if (groups.length !== 8 || groups.slice(0, 5).some((group) => group !== 0) || groups[5] !== 0xffff) return undefined
  const high = groups[6] ?? 0
  const low = groups[7] ?? 0
  return `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`
}

/**
 * True when `address` is an IP address outside every blocked range. Accepts IPv4, IPv6 and bracketed IPv6;
 * IPv4-mapped IPv6 is judged as the IPv4 it carries. Host names, scoped (`%zone`) addresses and anything else
 * that is not an IP literal are not public.
 */
export function isPublicAddress(address: string): boolean {
  let text = address.trim()
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1)
  // A zone id only makes sense for link-local and site-scoped addresses.
  if (text.includes('%')) return false
  const family = isIP(text)
  if (family === 4) return !blockList.check(text, 'ipv4')
  if (family !== 6) return false
  const ipv4 = mappedIpv4(text)
  if (ipv4 !== undefined) return !blockList.check(ipv4, 'ipv4')
  return !blockList.check(text, 'ipv6')
}
