/**
 * @module address-class
 * Tells public addresses from the ones a sandbox must not reach by accident: loopback, private,
 * link-local (cloud metadata lives at 169.254.169.254), carrier-grade NAT (some clouds' metadata),
 * multicast, reserved, and IPv6 forms that embed an IPv4 address (mapped, NAT64, 6to4, Teredo).
 */
import ipaddr from 'ipaddr.js';

export interface AddressClass {
  /** The normalized address. */
  readonly address: string;
  /** `unicast` for an ordinary public address, else ipaddr.js's range name (`loopback`, ...). */
  readonly range: string;
  readonly isPublic: boolean;
}

function embeddedIPv4(address: ipaddr.IPv6): ipaddr.IPv4 | undefined {
  if (address.isIPv4MappedAddress()) return address.toIPv4Address();
  const range = address.range();
  const bytes = address.toByteArray();
  // NAT64 (64:ff9b::/96, rfc6052) and SIIT (rfc6145) keep the IPv4 address in the last 4 bytes.
  if (range === 'rfc6052' || range === 'rfc6145') return ipaddr.fromByteArray(bytes.slice(12)) as ipaddr.IPv4;
  // 6to4 (2002::/16) keeps it in bytes 2..5.
  if (range === '6to4') return ipaddr.fromByteArray(bytes.slice(2, 6)) as ipaddr.IPv4;
  return undefined;
}

/** Classifies an IP address string; throws on text that is not an IP address. */
export function classifyAddress(text: string): AddressClass {
  const parsed = ipaddr.parse(text.replace(/^\[(.*)\]$/, '$1'));
  if (parsed.kind() === 'ipv6') {
    const v6 = parsed as ipaddr.IPv6;
    const inner = embeddedIPv4(v6);
    if (inner) {
      const innerRange = inner.range();
      return { address: v6.toString(), range: `${v6.range()}(${innerRange})`, isPublic: false };
    }
    const range = v6.range();
    return { address: v6.toString(), range, isPublic: range === 'unicast' };
  }
  const range = (parsed as ipaddr.IPv4).range();
  return { address: parsed.toString(), range, isPublic: range === 'unicast' };
}

/** True when `address` lies inside `network`, comparing IPv4-mapped IPv6 as IPv4. */
export function networkContains(network: [ipaddr.IPv4 | ipaddr.IPv6, number], address: string): boolean {
  let parsed = ipaddr.parse(address.replace(/^\[(.*)\]$/, '$1'));
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  }
  if (parsed.kind() !== network[0].kind()) return false;
  return parsed.match(network);
}
