/**
 * @module allowed-host-rule
 * Parses `allowedOutboundHosts` entries with Spin's syntax and meaning:
 * `scheme://host[:port]`, where scheme may be `*`, host may be `*`, `*.domain`, a name, an IP
 * address or a CIDR block, and port may be absent (the scheme's well-known port), `*`, a number
 * or a range `start..end` (end excluded). Paths, userinfo and `insecure:allow-all` are refused.
 */
import ipaddr from 'ipaddr.js';
import { PolicyError } from '../policy-error.js';
import { parseAddress, parseNetwork } from './address-class.js';

export type HostPattern =
  | { kind: 'any' }
  | { kind: 'subdomain'; suffix: string }
  | { kind: 'name'; name: string }
  | { kind: 'cidr'; network: [ipaddr.IPv4 | ipaddr.IPv6, number] };

export type PortPattern = { kind: 'any' } | { kind: 'range'; start: number; end: number };

export interface AllowedHostRule {
  /** The entry as the caller wrote it. */
  readonly source: string;
  readonly scheme: string | '*';
  readonly host: HostPattern;
  readonly port: PortPattern;
}

const WELL_KNOWN_PORTS: Readonly<Record<string, number>> = {
  http: 80,
  https: 443,
  postgres: 5432,
  mysql: 3306,
  redis: 6379,
  mqtt: 1883,
};

/** The port a scheme uses when a URL or rule names none. */
export function wellKnownPort(scheme: string): number | undefined {
  return WELL_KNOWN_PORTS[scheme];
}

/** Letters, digits, dots and hyphens: ASCII only, as a URL's host is once encoded. */
const HOST_NAME = /^[a-z0-9.-]+$/i;

function invalid(entry: string, problem: string): PolicyError {
  return new PolicyError(
    'invalid_allowed_host',
    `allowedOutboundHosts entry ${JSON.stringify(entry)} ${problem}. ` +
      'Write it as scheme://host[:port], e.g. "https://api.example.com", "https://*.example.com:8443", ' +
      '"http://10.0.0.0/8:8080" or "*://*:*".',
  );
}

function parseHost(entry: string, host: string): HostPattern {
  if (host === '*') return { kind: 'any' };
  if (host === '') throw invalid(entry, 'has no host');
  if (host === 'self') throw invalid(entry, 'uses "self", which has no meaning outside a Spin application');
  if (host.startsWith('{')) throw invalid(entry, 'uses a host list, which Spin does not support yet either');
  if (host.includes('/')) {
    try {
      return { kind: 'cidr', network: parseNetwork(host.replace(/^\[(.*)\]/, '$1')) };
    } catch {
      throw invalid(entry, `has a path or a bad CIDR block in ${JSON.stringify(host)}; a rule has no path`);
    }
  }
  if (host.startsWith('*.')) {
    const domain = host.slice(2).toLowerCase();
    if (domain === '' || domain.includes('*')) throw invalid(entry, 'may use "*" only as the first label ("*.example.com")');
    if (!HOST_NAME.test(domain)) throw invalid(entry, `has a domain ${JSON.stringify(domain)} with characters a host name cannot have`);
    return { kind: 'subdomain', suffix: `.${domain}` };
  }
  if (host.includes('*')) throw invalid(entry, 'may use "*" only as the whole host or as the first label');
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (ipaddr.isValid(bare)) {
    let address: ReturnType<typeof parseAddress>;
    try {
      address = parseAddress(bare);
    } catch {
      throw invalid(entry, `has an IP address ${JSON.stringify(host)} written in a form a URL cannot have`);
    }
    return { kind: 'name', name: address.kind() === 'ipv6' ? `[${address.toString()}]` : address.toString() };
  }
  if (!HOST_NAME.test(host)) throw invalid(entry, `has a host ${JSON.stringify(host)} with characters a host name cannot have`);
  return { kind: 'name', name: host.toLowerCase() };
}

function parsePortNumber(entry: string, text: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65_535)
    throw invalid(entry, `has a port ${JSON.stringify(text)} that is not a number from 0 to 65535`);
  return Number(text);
}

function parsePort(entry: string, port: string, scheme: string): PortPattern {
  if (port === '') {
    const known = scheme === '*' ? undefined : wellKnownPort(scheme);
    if (known === undefined)
      throw invalid(entry, `names no port and the scheme "${scheme}" has no well-known port (add ":443", ":*" or a range)`);
    return { kind: 'range', start: known, end: known + 1 };
  }
  if (port === '*') return { kind: 'any' };
  if (port.startsWith('{')) throw invalid(entry, 'uses a port list, which Spin does not support yet either');
  const range = port.split('..');
  if (range.length === 2) {
    const start = parsePortNumber(entry, range[0] ?? '');
    const end = parsePortNumber(entry, range[1] ?? '');
    if (end <= start) throw invalid(entry, `has an empty port range (the end of "${port}" is excluded)`);
    return { kind: 'range', start, end };
  }
  const single = parsePortNumber(entry, port);
  return { kind: 'range', start: single, end: single + 1 };
}

/** Parses one entry; throws PolicyError('invalid_allowed_host') saying what is wrong with it. */
export function parseAllowedHostRule(entry: string): AllowedHostRule {
  const text = entry;
  if (text.trim() !== text) throw invalid(entry, 'has spaces around it');
  if (text === 'insecure:allow-all') throw invalid(entry, 'is not accepted; write "*://*:*" if you really mean any host');
  const schemeEnd = text.indexOf('://');
  if (schemeEnd < 0) throw invalid(entry, 'has no scheme (start it with "https://", "http://" or "*://")');
  const written = text.slice(0, schemeEnd);
  // Checked as written: lower-casing first would let a look-alike (the Kelvin sign) pass as "k".
  if (written !== '*' && !/^[a-z]+$/i.test(written))
    throw invalid(entry, `has a scheme ${JSON.stringify(written)} that is not letters only`);
  const scheme = written.toLowerCase();
  let rest = text.slice(schemeEnd + 3);
  if (rest.includes('@')) throw invalid(entry, 'contains userinfo ("user@"), which a rule cannot have');
  if (rest.endsWith('/')) rest = rest.slice(0, -1);
  let host: string;
  let port: string;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) throw invalid(entry, 'opens an IPv6 address with "[" but never closes it');
    const afterBracket = rest.slice(close + 1);
    const cidr = afterBracket.match(/^\/\d+/)?.[0] ?? '';
    host = rest.slice(0, close + 1) + cidr;
    const tail = afterBracket.slice(cidr.length);
    if (tail !== '' && !tail.startsWith(':')) throw invalid(entry, 'has text after the IPv6 address that is not a port');
    port = tail.slice(1);
  } else {
    const colon = rest.lastIndexOf(':');
    host = colon >= 0 ? rest.slice(0, colon) : rest;
    port = colon >= 0 ? rest.slice(colon + 1) : '';
    if (colon >= 0 && port === '') throw invalid(entry, 'ends with ":" but names no port');
  }
  if (port.includes('/')) throw invalid(entry, 'has a path, which a rule cannot have');
  return { source: entry, scheme, host: parseHost(entry, host), port: parsePort(entry, port, scheme) };
}

/** Parses every entry; the first bad one throws. */
export function parseAllowedHosts(entries: readonly string[] | undefined): AllowedHostRule[] {
  return (entries ?? []).map(parseAllowedHostRule);
}
