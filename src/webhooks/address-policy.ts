import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { BlockList, isIP, isIPv4 } from 'node:net';

/**
 * Where webhook requests may not go (SSRF): loopback, private, link-local (cloud
 * metadata at 169.254.169.254 included), shared CGNAT (Alibaba's metadata too),
 * multicast, reserved and documentation ranges, IPv4 and IPv6, with the IPv4 inside
 * IPv4-mapped, NAT64 and 6to4 addresses checked as IPv4. Decimal, octal and hex
 * host forms (`2130706433`, `0177.0.0.1`, `0x7f.1`) are normalised by the URL parser
 * and by getaddrinfo before they get here. Checked at registration and again on every
 * connection, after DNS, on the address actually connected to (no DNS rebinding).
 */
const V4: Array<[string, number, string]> = [
  ['0.0.0.0', 8, 'reserved'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'shared (CGNAT)'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.169.254', 32, 'cloud metadata'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.88.99.0', 24, 'reserved'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'reserved'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
];
const V6: Array<[string, number, string]> = [
  ['::1', 128, 'loopback'],
  ['::', 96, 'reserved'], // unspecified and the deprecated IPv4-compatible form
  ['64:ff9b:1::', 48, 'private'],
  ['100::', 64, 'reserved'],
  ['2001::', 32, 'reserved'], // Teredo tunnels
  ['2001:db8::', 32, 'documentation'],
  ['fd00:ec2::254', 128, 'cloud metadata'],
  ['fc00::', 7, 'private'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'private'],
  ['ff00::', 8, 'multicast'],
];
const RULES = [
  ...V4.map(([net, prefix, why]) => rule(net, prefix, 'ipv4', why)),
  ...V6.map(([net, prefix, why]) => rule(net, prefix, 'ipv6', why)),
];

function rule(network: string, prefix: number, family: 'ipv4' | 'ipv6', reason: string) {
  const list = new BlockList();
  list.addSubnet(network, prefix, family);
  return { list, family, reason };
}

/** Why `ip` is refused (e.g. `loopback`), or null when it is a public address. */
export function refusalOf(ip: string): string | null {
  const address = ip.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  if (isIPv4(address)) return RULES.find((r) => r.family === 'ipv4' && r.list.check(address, 'ipv4'))?.reason ?? null;
  if (isIP(address) !== 6) return 'not an IP address';
  const embedded = embeddedIPv4(address);
  if (embedded) return refusalOf(embedded);
  return RULES.find((r) => r.family === 'ipv6' && r.list.check(address, 'ipv6'))?.reason ?? null;
}

/** The IPv4 address inside an IPv4-mapped (::ffff:0:0/96), NAT64 (64:ff9b::/96) or 6to4 (2002::/16) address. */
function embeddedIPv4(address: string): string | null {
  const groups = ipv6Groups(address);
  if (!groups) return null;
  const v4 = (high: number, low: number) => `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) return v4(groups[6], groups[7]);
  if (groups[0] === 0x64 && groups[1] === 0xff9b && groups.slice(2, 6).every((g) => g === 0)) return v4(groups[6], groups[7]);
  if (groups[0] === 0x2002) return v4(groups[1], groups[2]);
  return null;
}

/** The eight 16-bit groups of a valid IPv6 address (a trailing dotted quad included). */
function ipv6Groups(address: string): number[] | null {
  let text = address.toLowerCase();
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number);
    text = `${text.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const parse = (part: string | undefined) => (part ? part.split(':').map((g) => parseInt(g, 16)) : []);
  const left = parse(head);
  const right = parse(tail);
  const groups = tail === undefined ? left : [...left, ...Array.from({ length: 8 - left.length - right.length }, () => 0), ...right];
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : null;
}

export class RefusedAddressError extends Error {
  override name = 'RefusedAddressError';
  readonly code = 'EREFUSEDADDRESS';
}

/** Names that mean this machine whatever DNS says. */
function isLocalName(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  return name === 'localhost' || name.endsWith('.localhost');
}

/**
 * Registration check of a host (URL hostname, brackets and all): refused when it is,
 * or resolves to, a refused address. A name that does not resolve (yet) is accepted:
 * every delivery checks again.
 */
export async function hostRefusal(hostname: string, resolveTimeoutMs = 2000): Promise<string | null> {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) return refusalOf(host);
  if (isLocalName(host)) return 'loopback';
  const addresses = await Promise.race([
    new Promise<LookupAddress[]>((resolve) => dnsLookup(host, { all: true }, (error, found) => resolve(error ? [] : found))),
    new Promise<LookupAddress[]>((resolve) => setTimeout(() => resolve([]), resolveTimeoutMs).unref()),
  ]);
  for (const { address } of addresses) {
    const refusal = refusalOf(address);
    if (refusal) return refusal;
  }
  return null;
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for http.request: resolves like the default and fails the connection
 * when any address of the name is refused. The socket connects to an address this
 * function returned, so what was checked is what is used.
 */
export function guardedLookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  if (isLocalName(hostname)) return callback(new RefusedAddressError(`refused address (loopback)`), []);
  dnsLookup(hostname, { all: true, family: options.family ?? 0, hints: options.hints }, (error, addresses) => {
    if (error) return callback(error, []);
    for (const { address } of addresses) {
      const refusal = refusalOf(address);
      if (refusal) return callback(new RefusedAddressError(`refused address (${refusal})`), []);
    }
    if (options.all) return callback(null, addresses);
    callback(null, addresses[0].address, addresses[0].family);
  });
}
