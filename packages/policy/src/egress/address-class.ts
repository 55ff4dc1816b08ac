/**
 * @module address-class
 * Tells public addresses from every other kind, so that a sandbox reaches a non-public one only
 * when a rule names it. The reference is IANA's special-purpose address registries (IPv4 and
 * IPv6) and its IPv6 address-space registry. ipaddr.js names most of their ranges; the table
 * below adds the IPv6 ones it lacks, and an IPv6 address outside 2000::/3, the only block IANA
 * allocates for global unicast, is never public. IPv6 forms that embed an IPv4 address (mapped,
 * compatible, translated, NAT64, 6to4, Teredo) are never public either, whatever they embed.
 */
import ipaddr from 'ipaddr.js';

export interface AddressClass {
  /** The normalized address. */
  readonly address: string;
  /**
   * `unicast` for an ordinary public address, else the range's name (ipaddr.js's, such as
   * `loopback` or `uniqueLocal`, or one of this module's); an IPv6 form that embeds an IPv4
   * address also names the embedded address's range: `ipv4Compatible(loopback)`.
   */
  readonly range: string;
  readonly isPublic: boolean;
}

type Network = [ipaddr.IPv6, number];

const network = (cidr: string): Network => ipaddr.IPv6.parseCIDR(cidr);

/** IPv6 ranges of IANA's registries that ipaddr.js 2.5 does not name (it names every IPv4 one). */
const UNNAMED_IPV6_RANGES: ReadonlyArray<readonly [name: string, network: Network]> = [
  // RFC 4291 section 2.5.5.1, deprecated: ::a.b.c.d. `::` and `::1` keep ipaddr.js's names.
  ['ipv4Compatible', network('::/96')],
  // RFC 9780: the dummy prefix, never routed.
  ['dummyPrefix', network('100:0:0:1::/64')],
];

/** The global unicast block (IANA IPv6 address space); everything else is reserved or special. */
const GLOBAL_UNICAST = network('2000::/3');

/** Where the NAT64 well-known prefix keeps its IPv4 address; the local-use /48 may place it anywhere. */
const NAT64_WELL_KNOWN = network('64:ff9b::/96');

function rangeOfIPv6(address: ipaddr.IPv6): string {
  const named = address.range();
  if (named !== 'unicast') return named;
  for (const [name, block] of UNNAMED_IPV6_RANGES) if (address.match(block)) return name;
  return address.match(GLOBAL_UNICAST) ? 'unicast' : 'notGlobalUnicast';
}

const ipv4 = (bytes: number[]): ipaddr.IPv4 => new ipaddr.IPv4(bytes);

function embeddedIPv4(address: ipaddr.IPv6, range: string): ipaddr.IPv4 | undefined {
  const bytes = address.toByteArray();
  switch (range) {
    case 'ipv4Mapped': // ::ffff:a.b.c.d
    case 'ipv4Compatible': // ::a.b.c.d
    case 'rfc6145': // ::ffff:0:a.b.c.d, IPv4-translated (SIIT)
      return ipv4(bytes.slice(12));
    case 'rfc6052': // 64:ff9b::a.b.c.d
      return address.match(NAT64_WELL_KNOWN) ? ipv4(bytes.slice(12)) : undefined;
    case '6to4': // 2002:AABB:CCDD::/48
      return ipv4(bytes.slice(2, 6));
    case 'teredo': // 2001:0:server:flags:port:client, the client's address inverted
      return ipv4(bytes.slice(12).map((byte) => byte ^ 0xff));
    default:
      return undefined;
  }
}

const DOTTED_IPV4_COMPATIBLE = /^::(\d+\.\d+\.\d+\.\d+)$/;

/**
 * Parses an IP address, `[...]` around IPv6 allowed; throws on anything else. `::a.b.c.d` is the
 * IPv4-compatible address `::AABB:CCDD` (RFC 4291), as for inet_pton, the URL parser and Node,
 * which prints `::7f00:1` from a DNS answer as `::127.0.0.1`; ipaddr.js alone would read it as
 * the IPv4-mapped `::ffff:a.b.c.d`, another address.
 */
export function parseAddress(text: string): ipaddr.IPv4 | ipaddr.IPv6 {
  const bare = text.replace(/^\[(.*)\]$/, '$1');
  const dotted = bare.match(DOTTED_IPV4_COMPATIBLE)?.[1];
  if (dotted !== undefined) {
    if (!ipaddr.IPv4.isValidFourPartDecimal(dotted)) throw new Error(`ipaddr: ${JSON.stringify(text)} is not an IP address`);
    return ipaddr.fromByteArray([...new Array<number>(12).fill(0), ...ipaddr.IPv4.parse(dotted).toByteArray()]);
  }
  return ipaddr.parse(bare);
}

/** Parses a CIDR block (`10.0.0.0/8`, `[fd00::]/8`) with parseAddress's reading of the address. */
export function parseNetwork(text: string): [ipaddr.IPv4 | ipaddr.IPv6, number] {
  const match = text.match(/^(.+)\/(\d{1,3})$/);
  const address = match?.[1] === undefined ? undefined : parseAddress(match[1]);
  const length = Number(match?.[2]);
  if (!address || length > (address.kind() === 'ipv6' ? 128 : 32)) throw new Error(`ipaddr: ${JSON.stringify(text)} is not a CIDR block`);
  return [address, length];
}

/** Classifies an IP address string; throws on text that is not an IP address. */
export function classifyAddress(text: string): AddressClass {
  const parsed = parseAddress(text);
  if (parsed.kind() === 'ipv6') {
    const v6 = parsed as ipaddr.IPv6;
    const range = rangeOfIPv6(v6);
    const inner = embeddedIPv4(v6, range);
    return { address: v6.toString(), range: inner ? `${range}(${inner.range()})` : range, isPublic: range === 'unicast' };
  }
  const range = (parsed as ipaddr.IPv4).range();
  return { address: parsed.toString(), range, isPublic: range === 'unicast' };
}

/** True when `address` lies inside `network`, comparing IPv4-mapped IPv6 as IPv4. */
export function networkContains(network: [ipaddr.IPv4 | ipaddr.IPv6, number], address: string): boolean {
  let parsed = parseAddress(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  }
  if (parsed.kind() !== network[0].kind()) return false;
  return parsed.match(network);
}
