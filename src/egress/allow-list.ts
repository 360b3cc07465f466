/**
 * Where executors may send requests. An agent writes the URLs of an `http.request`, so without a
 * list it could point an approved action (or its verify and rollback URLs) at the metadata
 * service or an admin port inside the network. Two kinds of entry:
 *
 * - a name (`api.example.com`, `api.example.com:443`, `*.example.com`, `*` for any name): URLs
 *   may name that host; what it resolves to must still be a public address;
 * - an address or network (`203.0.113.7`, `127.0.0.1:8080`, `[::1]:8080`, `10.0.0.0/8`,
 *   `fd00::/8`): URLs may name addresses in it, and names may resolve into it. This is the only
 *   way to reach loopback, private, link-local, metadata and other special addresses.
 */
import { BlockList, isIP } from 'node:net';
import { z } from 'zod';

const HOST_NAME = /^(?:\*\.)?(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export const EgressNameEntrySchema = z.object({
  kind: z.literal('name'),
  /** Lower-case host name; `*.` in front matches its subdomains, `*` alone any name. */
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).optional(),
  text: z.string(),
});
export type EgressNameEntry = z.infer<typeof EgressNameEntrySchema>;

export const EgressNetworkEntrySchema = z.object({
  kind: z.literal('network'),
  address: z.string().refine((a) => isIP(a) !== 0, 'an IP address'),
  prefix: z.number().int().min(0).max(128),
  port: z.number().int().min(1).max(65535).optional(),
  text: z.string(),
});
export type EgressNetworkEntry = z.infer<typeof EgressNetworkEntrySchema>;

export const EgressEntrySchema = z.discriminatedUnion('kind', [EgressNameEntrySchema, EgressNetworkEntrySchema]);
export type EgressEntry = z.infer<typeof EgressEntrySchema>;

/** Thrown when an allow-list entry (from the environment or a policy) cannot be understood. */
export class EgressAllowListError extends Error {
  override readonly name = 'EgressAllowListError';
  constructor(readonly problems: readonly string[]) {
    super(`egress allow-list: ${problems.join('; ')}`);
  }
}

function parsePort(text: string, entry: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) < 1 || Number(text) > 65535)
    throw new EgressAllowListError([`"${entry}": port must be 1-65535`]);
  return Number(text);
}

/** One entry as written; throws {@link EgressAllowListError} with the reason. */
export function parseEgressEntry(raw: string): EgressEntry {
  const text = raw.trim();
  const bad = (why: string): never => {
    throw new EgressAllowListError([`"${text}": ${why}`]);
  };
  if (text === '') bad('empty entry (stray comma?)');
  if (text.includes('/')) {
    const [address = '', prefixText = '', ...rest] = text.split('/');
    const family = isIP(address);
    if (rest.length > 0 || family === 0) bad('a network is written address/prefix, e.g. 10.0.0.0/8');
    const max = family === 4 ? 32 : 128;
    if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > max) bad(`prefix must be 0-${max}`);
    return { kind: 'network', address, prefix: Number(prefixText), text };
  }
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(text);
  if (bracketed) {
    if (isIP(bracketed[1]!) !== 6) bad('brackets hold an IPv6 address');
    const port = bracketed[2] === undefined ? undefined : parsePort(bracketed[2], text);
    return { kind: 'network', address: bracketed[1]!, prefix: 128, ...(port ? { port } : {}), text };
  }
  if (isIP(text) === 6) return { kind: 'network', address: text, prefix: 128, text };
  const colon = text.lastIndexOf(':');
  const host = (colon < 0 ? text : text.slice(0, colon)).toLowerCase();
  const port = colon < 0 ? undefined : parsePort(text.slice(colon + 1), text);
  const withPort = port ? { port } : {};
  if (isIP(host) === 4) return { kind: 'network', address: host, prefix: 32, ...withPort, text };
  if (host === '*') return { kind: 'name', host, ...withPort, text };
  if (!HOST_NAME.test(host)) bad('not a host name, IP address or network');
  // 0x7f000001, 2130706433 or 127.1 are loopback to a URL parser: make the operator say so plainly.
  const asUrlHost = new URL(`http://${host.replace(/^\*\./, '')}/`).hostname;
  if (isIP(asUrlHost) !== 0) bad(`reads as the address ${asUrlHost}; write addresses in dotted decimal`);
  return { kind: 'name', host, ...withPort, text };
}

/** The parsed list: name entries and the networks they open, ready to match. */
export interface EgressAllowList {
  readonly entries: readonly EgressEntry[];
}

/** Parses a comma-separated list (as `GATEHOUSE_EGRESS_ALLOW` holds it) or an array of entries. */
export function parseEgressAllowList(spec: string | readonly string[] | undefined): EgressAllowList {
  const raw = typeof spec === 'string' ? (spec.trim() === '' ? [] : spec.split(',')) : (spec ?? []);
  const entries: EgressEntry[] = [];
  const problems: string[] = [];
  for (const entry of raw) {
    try {
      entries.push(parseEgressEntry(entry));
    } catch (err) {
      if (err instanceof EgressAllowListError) problems.push(...err.problems);
      else throw err;
    }
  }
  if (problems.length > 0) throw new EgressAllowListError(problems);
  return { entries };
}

/** Both lists' entries: what the configuration allows plus what a policy adds. */
export function mergeAllowLists(...lists: readonly EgressAllowList[]): EgressAllowList {
  return { entries: lists.flatMap((l) => l.entries) };
}

/** The entry that lets requests to `url`'s origin through: the configured payments API, say. */
export function entryForOrigin(url: string): EgressEntry {
  const u = new URL(url);
  const port = u.port || (u.protocol === 'https:' ? '443' : '80');
  return parseEgressEntry(`${u.hostname}:${port}`);
}

/**
 * Addresses nobody reaches without an address or network entry, each with the reason shown in
 * the refusal. Checked in order, so the metadata addresses are named before their wider range.
 * IPv4-mapped IPv6 addresses (::ffff:127.0.0.1) match the IPv4 rows (BlockList compares them so).
 */
const SPECIAL_RANGES: ReadonlyArray<readonly [reason: string, network: string, prefix: number]> = [
  ['a cloud metadata address', '169.254.169.254', 32],
  ['a cloud metadata address', '192.0.0.192', 32],
  ['a cloud metadata address', 'fd00:ec2::254', 128],
  ['unspecified', '0.0.0.0', 8],
  ['loopback', '127.0.0.0', 8],
  ['private', '10.0.0.0', 8],
  ['private', '172.16.0.0', 12],
  ['private', '192.168.0.0', 16],
  ['carrier-grade NAT', '100.64.0.0', 10],
  ['link-local', '169.254.0.0', 16],
  ['reserved for protocol assignments', '192.0.0.0', 24],
  ['for documentation', '192.0.2.0', 24],
  ['for documentation', '198.51.100.0', 24],
  ['for documentation', '203.0.113.0', 24],
  ['for benchmarking', '198.18.0.0', 15],
  ['multicast', '224.0.0.0', 4],
  ['reserved', '240.0.0.0', 4],
  ['unspecified', '::', 128],
  ['loopback', '::1', 128],
  ['an IPv4-compatible address', '::', 96],
  ['unique local (private)', 'fc00::', 7],
  ['link-local', 'fe80::', 10],
  ['site-local', 'fec0::', 10],
  ['multicast', 'ff00::', 8],
  ['NAT64, which embeds an IPv4 address', '64:ff9b::', 96],
  ['NAT64, which embeds an IPv4 address', '64:ff9b:1::', 48],
  ['6to4, which embeds an IPv4 address', '2002::', 16],
  ['Teredo, which embeds an IPv4 address', '2001::', 32],
  ['for documentation', '2001:db8::', 32],
  ['a discard prefix', '100::', 64],
];

const familyOf = (address: string): 'ipv4' | 'ipv6' => (isIP(address) === 4 ? 'ipv4' : 'ipv6');

const SPECIAL = SPECIAL_RANGES.map(([reason, network, prefix]) => {
  const list = new BlockList();
  list.addSubnet(network, prefix, familyOf(network));
  return { reason, list };
});

/** Why `address` is special (loopback, private, metadata...), or undefined for a public address. */
export function specialAddressReason(address: string): string | undefined {
  const family = familyOf(address);
  return SPECIAL.find((s) => s.list.check(address, family))?.reason;
}

/** Names of metadata services: refused unless a name entry spells them out exactly. */
const METADATA_NAMES = new Set(['metadata.google.internal', 'metadata.goog', 'metadata', 'instance-data', 'instance-data.ec2.internal']);

function networkAllows(list: EgressAllowList, address: string, port: number): EgressNetworkEntry | undefined {
  const family = familyOf(address);
  return list.entries.find((e): e is EgressNetworkEntry => {
    if (e.kind !== 'network' || (e.port !== undefined && e.port !== port)) return false;
    const block = new BlockList();
    block.addSubnet(e.address, e.prefix, familyOf(e.address));
    return block.check(address, family);
  });
}

function nameAllows(list: EgressAllowList, host: string, port: number): boolean {
  const exactOnly = METADATA_NAMES.has(host.replace(/\.$/, ''));
  return list.entries.some((e) => {
    if (e.kind !== 'name' || (e.port !== undefined && e.port !== port)) return false;
    if (e.host === host) return true;
    if (exactOnly) return false;
    return e.host === '*' || (e.host.startsWith('*.') && host.endsWith(e.host.slice(1)));
  });
}

/** Strips the brackets a URL puts around an IPv6 host and the zone a resolver may add. */
export function bareHost(hostname: string): string {
  return hostname
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/%.*$/, '')
    .toLowerCase();
}

/**
 * Whether the URL's host may be named at all: a name needs a name entry; an address literal
 * needs a network entry, or `*` and a public address. Returns the refusal, or undefined.
 */
export function refuseHost(list: EgressAllowList, hostname: string, port: number): string | undefined {
  const host = bareHost(hostname);
  const destination = `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
  if (isIP(host) !== 0) return refuseAddress(list, host, port, host);
  if (nameAllows(list, host, port)) return undefined;
  return METADATA_NAMES.has(host.replace(/\.$/, ''))
    ? `${destination} is a cloud metadata service; only an entry naming it exactly allows it`
    : `${destination} is not on the egress allow-list`;
}

/**
 * Whether a connection for `host` may go to `address` (one of the addresses it resolved to, or
 * the literal itself): a special address needs a network entry covering it.
 */
export function refuseAddress(list: EgressAllowList, host: string, port: number, address: string): string | undefined {
  const bare = bareHost(address);
  if (isIP(bare) === 0) return `${address} is not an IP address`;
  if (networkAllows(list, bare, port)) return undefined;
  const shown = isIP(bare) === 6 ? `[${bare}]` : bare;
  const special = specialAddressReason(bare);
  if (special) {
    const via = bareHost(host) === bare ? '' : `${host} resolves to `;
    return `${via}${shown} (${special}), which only an explicit address or network entry allows`;
  }
  if (isIP(bareHost(host)) !== 0 && !nameAllows(list, '*', port)) return `${shown}:${port} is not on the egress allow-list`;
  return undefined;
}
