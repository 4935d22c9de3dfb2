import type { LookupAddress, LookupOptions } from 'node:dns';
import { isIPv4, isIPv6 } from 'node:net';

/**
 * Which addresses a worker may reach. On Cloudflare a worker's subrequests leave from Cloudflare's
 * network, so the host's loopback, private networks and link-local addresses (cloud metadata at
 * 169.254.169.254) are out of reach; the local edge keeps them out of reach too, or an upstream on
 * localhost would look healthy here and fail once deployed. Pure functions: no lookups, no packets.
 */

export type AddressClass = 'public' | 'loopback' | 'private' | 'link-local' | 'unspecified' | 'multicast' | 'reserved';

/** [first address, prefix length, class]; the first match wins, so narrower ranges come first. */
const IPV4_RANGES: ReadonlyArray<readonly [string, number, AddressClass]> = [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'private'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved'],
  ['192.0.2.0', 24, 'reserved'],
  ['192.88.99.0', 24, 'reserved'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'reserved'],
  ['198.51.100.0', 24, 'reserved'],
  ['203.0.113.0', 24, 'reserved'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
];

/** The class of an IP address (v4 or v6, an IPv6 zone allowed), or undefined when `text` is not one. */
export function classifyIp(text: string): AddressClass | undefined {
  const ip = text.replace(/%.*$/, '');
  if (isIPv4(ip)) return classifyV4(v4Number(ip));
  if (isIPv6(ip)) return classifyV6(v6Groups(ip));
  return undefined;
}

/**
 * The class of a URL's hostname: an IP literal (brackets allowed) by its address, `localhost` and
 * `*.localhost` as loopback (they never leave the machine), anything else 'name' (decided when it
 * is resolved: see guardedLookup).
 */
export function classifyHost(hostname: string): AddressClass | 'name' {
  const host = hostname
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return 'loopback';
  return classifyIp(host) ?? 'name';
}

/** Who may be reached: public addresses always; loopback only when the edge was started to allow it. */
export function reachable(addressClass: AddressClass, options: { allowLoopback: boolean }): boolean {
  return addressClass === 'public' || (addressClass === 'loopback' && options.allowLoopback);
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;
export type Resolver = (
  hostname: string,
  options: LookupOptions & { all: true },
  callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

/** The error a lookup gives when every address of a name is out of reach; `code` tells it from DNS failures. */
export const BLOCKED_CODE = 'EMCPFLEETBLOCKED';

/**
 * A `lookup` for net.connect that drops the addresses a worker may not reach and fails when none is
 * left. The check sits in the lookup itself, so the address connected to is the address checked: a
 * name that resolves to a public address now and to 127.0.0.1 a moment later (DNS rebinding) gains
 * nothing.
 */
export function guardedLookup(allow: (addressClass: AddressClass) => boolean, resolve: Resolver) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    resolve(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      const usable = addresses.filter((entry) => allow(classifyIp(entry.address) ?? 'reserved'));
      const first = usable[0];
      if (!first) {
        const classes = [...new Set(addresses.map((entry) => classifyIp(entry.address) ?? 'reserved'))].join(', ');
        const blocked: NodeJS.ErrnoException = new Error(`${hostname} resolves only to addresses workers cannot reach (${classes})`);
        blocked.code = BLOCKED_CODE;
        return callback(blocked, []);
      }
      if (options.all) callback(null, usable);
      else callback(null, first.address, first.family);
    });
  };
}

function v4Number(ip: string): number {
  return ip.split('.').reduce((sum, part) => sum * 256 + Number(part), 0);
}

function classifyV4(address: number): AddressClass {
  for (const [first, bits, addressClass] of IPV4_RANGES) {
    const size = 2 ** (32 - bits);
    const start = v4Number(first);
    if (address >= start && address < start + size) return addressClass;
  }
  return 'public';
}

/** The eight 16-bit groups of an IPv6 address (`::` expanded, a dotted IPv4 tail converted). */
function v6Groups(ip: string): number[] {
  let text = ip.toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)?.[1];
  if (dotted) {
    const n = v4Number(dotted);
    text = `${text.slice(0, -dotted.length)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((group) => Number.parseInt(group, 16)));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}

function classifyV6(groups: number[]): AddressClass {
  const [g0 = 0, g1 = 0, g2 = 0, , , g5 = 0, g6 = 0, g7 = 0] = groups;
  const embeddedV4 = g6 * 65536 + g7;
  const zeroUpTo = (count: number) => groups.slice(0, count).every((group) => group === 0);
  if (zeroUpTo(8)) return 'unspecified';
  if (zeroUpTo(7) && g7 === 1) return 'loopback';
  // IPv4-mapped (::ffff:a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) reach the IPv4 address they carry.
  if (zeroUpTo(5) && g5 === 0xffff) return classifyV4(embeddedV4);
  if (g0 === 0x64 && g1 === 0xff9b && groups.slice(2, 6).every((group) => group === 0)) return classifyV4(embeddedV4);
  // 6to4 (2002:AABB:CCDD::) carries its IPv4 address in groups 1 and 2.
  if (g0 === 0x2002) return classifyV4(g1 * 65536 + g2);
  if (zeroUpTo(6)) return 'reserved';
  if ((g0 & 0xfe00) === 0xfc00) return 'private';
  if ((g0 & 0xffc0) === 0xfe80) return 'link-local';
  if ((g0 & 0xffc0) === 0xfec0) return 'private';
  if ((g0 & 0xff00) === 0xff00) return 'multicast';
  if (g0 === 0x2001 && g1 === 0x0db8) return 'reserved';
  if (g0 === 0x0100 && groups.slice(1, 4).every((group) => group === 0)) return 'reserved';
  if (g0 === 0x2001 && g1 < 0x0200) return 'reserved';
  return 'public';
}
