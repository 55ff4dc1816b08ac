/**
 * @module egress-policy
 * Decides whether a sandbox may send a request to a URL, in two steps: the URL against the rules
 * (scheme, host, port, Spin semantics), then every address the host name resolves to. Addresses
 * that are not public (loopback, private, link-local, metadata, IPv6 forms embedding IPv4...)
 * pass only when a rule for the same scheme and port names the address itself: its IP literal or
 * a CIDR block containing it. A host name never does (`http://localhost:8080` does not open
 * 127.0.0.1, and neither does a name that resolves to it), nor do `*` and `*.domain`.
 */
import type { EgressPolicyV1, EgressTargetV1 } from '@umca/contracts';
import ipaddr from 'ipaddr.js';
import { classifyAddress, networkContains } from './address-class.js';
import { type AllowedHostRule, parseAllowedHosts, wellKnownPort } from './allowed-host-rule.js';

/** A URL as the connection will use it, before any rule is applied. */
export interface OutboundTarget {
  readonly url: URL;
  readonly scheme: string;
  /** Host as the URL parser normalized it; IPv6 literals without brackets. */
  readonly host: string;
  readonly port: number;
  readonly isIpLiteral: boolean;
}

/** The egress policy of one run, with the rules it was compiled from. */
export interface EgressPolicy extends EgressPolicyV1 {
  readonly rules: readonly AllowedHostRule[];
}

function hostMatches(rule: AllowedHostRule, target: OutboundTarget): boolean {
  const pattern = rule.host;
  switch (pattern.kind) {
    case 'any':
      return true;
    case 'subdomain':
      return target.host.endsWith(pattern.suffix);
    case 'name':
      return pattern.name.replace(/^\[(.*)\]$/, '$1') === target.host;
    case 'cidr':
      return target.isIpLiteral && networkContains(pattern.network, target.host);
  }
}

function portMatches(rule: AllowedHostRule, port: number): boolean {
  return rule.port.kind === 'any' || (port >= rule.port.start && port < rule.port.end);
}

/** Whether a rule for this scheme and port names the address itself (IP literal or CIDR). */
function namesAddress(rules: readonly AllowedHostRule[], target: OutboundTarget, address: string): boolean {
  return rules.some((rule) => {
    if ((rule.scheme !== '*' && rule.scheme !== target.scheme) || !portMatches(rule, target.port)) return false;
    if (rule.host.kind === 'cidr') return networkContains(rule.host.network, address);
    if (rule.host.kind !== 'name') return false;
    const literal = rule.host.name.replace(/^\[(.*)\]$/, '$1');
    return ipaddr.isValid(literal) && classifyAddress(literal).address === address;
  });
}

function describeTarget(target: OutboundTarget): string {
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  return `${target.scheme}://${host}:${target.port}`;
}

/** Reads a URL the way the connection will use it (WHATWG parsing, so no parser differential). */
export function toOutboundTarget(text: string): OutboundTarget | string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `${JSON.stringify(text.slice(0, 200))} is not an absolute URL`;
  }
  const scheme = url.protocol.replace(/:$/, '');
  if (scheme !== 'http' && scheme !== 'https') return `only http and https requests are supported, not ${scheme}:`;
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') return 'the URL has no host';
  const port = url.port === '' ? (wellKnownPort(scheme) ?? 0) : Number(url.port);
  return { url, scheme, host, port, isIpLiteral: ipaddr.isValid(host) };
}

/** Builds a policy from `allowedOutboundHosts`; throws PolicyError('invalid_allowed_host') on a malformed entry. */
export function createEgressPolicy(allowedOutboundHosts: readonly string[] | undefined): EgressPolicy {
  const rules = parseAllowedHosts(allowedOutboundHosts);
  return {
    specificationVersion: 'v1',
    allowedOutboundHosts: rules.map((rule) => rule.source),
    rules,
    checkUrl(text) {
      const target = toOutboundTarget(text);
      if (typeof target === 'string') return { allowed: false, reason: target };
      if (rules.length === 0) {
        return {
          allowed: false,
          reason: `network access is off for this run (no allowedOutboundHosts); add "${describeTarget(target)}" to allow this request`,
        };
      }
      const rule = rules.find(
        (candidate) =>
          (candidate.scheme === '*' || candidate.scheme === target.scheme) &&
          hostMatches(candidate, target) &&
          portMatches(candidate, target.port),
      );
      if (!rule) return { allowed: false, reason: `no allowedOutboundHosts entry matches ${describeTarget(target)}` };
      const allowed: EgressTargetV1 = { ...target, rule: rule.source };
      return { allowed: true, target: allowed };
    },
    checkAddresses(target, addresses) {
      if (addresses.length === 0) return { allowed: false, reason: `${target.host} did not resolve to any address` };
      const refused: string[] = [];
      for (const address of addresses) {
        const kind = classifyAddress(address);
        if (kind.isPublic || namesAddress(rules, target, kind.address)) return { allowed: true, address: kind.address };
        refused.push(`${kind.address} (${kind.range})`);
      }
      return {
        allowed: false,
        reason: `${target.host} resolves only to non-public addresses ${refused.join(', ')}, which are refused unless a rule names the address itself (e.g. "${target.scheme}://${refused[0]?.split(' ')[0]}:${target.port}" or a CIDR block); "${target.rule}" does not`,
      };
    },
  };
}
