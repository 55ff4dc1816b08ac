import { ALLOWED_HOST_PATTERN } from '@umca/contracts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAllowedHostRule } from '../src/egress/allowed-host-rule.js';
import { PolicyError } from '../src/policy-error.js';

describe('parseAllowedHostRule (Spin allowed_outbound_hosts syntax)', () => {
  it('gives a scheme without a port its well-known port', () => {
    const rule = parseAllowedHostRule('https://api.example.com');
    expect(rule.scheme).toBe('https');
    expect(rule.host).toEqual({ kind: 'name', name: 'api.example.com' });
    expect(rule.port).toEqual({ kind: 'range', start: 443, end: 444 });
    expect(parseAllowedHostRule('http://example.com/').port).toEqual({ kind: 'range', start: 80, end: 81 });
  });

  it('reads explicit ports, any port and half-open ranges', () => {
    expect(parseAllowedHostRule('http://example.com:8080').port).toEqual({ kind: 'range', start: 8080, end: 8081 });
    expect(parseAllowedHostRule('http://example.com:*').port).toEqual({ kind: 'any' });
    expect(parseAllowedHostRule('http://example.com:4444..5555').port).toEqual({ kind: 'range', start: 4444, end: 5555 });
  });

  it('reads wildcards, subdomain wildcards, IP literals and CIDR blocks', () => {
    expect(parseAllowedHostRule('*://*:*')).toMatchObject({ scheme: '*', host: { kind: 'any' }, port: { kind: 'any' } });
    expect(parseAllowedHostRule('https://*.Example.com').host).toEqual({ kind: 'subdomain', suffix: '.example.com' });
    expect(parseAllowedHostRule('http://127.0.0.1:8080').host).toEqual({ kind: 'name', name: '127.0.0.1' });
    expect(parseAllowedHostRule('http://[::1]:8080').host).toEqual({ kind: 'name', name: '[::1]' });
    expect(parseAllowedHostRule('http://10.0.0.0/8:80').host.kind).toBe('cidr');
    expect(parseAllowedHostRule('https://[fd00::]/8:443').host.kind).toBe('cidr');
  });

  it.each([
    ['api.example.com', 'no scheme'],
    ['api.example.com:443', 'no scheme'],
    ['*://example.com', 'no well-known port'],
    ['ftp://example.com', 'no well-known port'],
    ['https://example.com/api', 'path'],
    ['https://example.com:443/api', 'path'],
    ['https://user@example.com', 'userinfo'],
    ['https://exa*mple.com', '"*"'],
    ['https://*.*.example.com', '"*"'],
    ['https://example.com:99999', 'not a number from 0 to 65535'],
    ['https://example.com:http', 'not a number'],
    ['https://example.com:5..3', 'empty port range'],
    ['https://example.com:', 'names no port'],
    ['insecure:allow-all', '*://*:*'],
    ['http://self', '"self"'],
    ['h2p://example.com:1', 'letters only'],
  ])('refuses %s with a message that says what is wrong', (entry, fragment) => {
    let caught: unknown;
    try {
      parseAllowedHostRule(entry);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(PolicyError);
    expect((caught as PolicyError).code).toBe('invalid_allowed_host');
    expect((caught as PolicyError).message).toContain(fragment);
    expect((caught as PolicyError).message).toContain('scheme://host[:port]');
  });
});

describe('the shape the contract states for an entry (ALLOWED_HOST_PATTERN)', () => {
  const accepts = (entry: string) => {
    try {
      parseAllowedHostRule(entry);
      return true;
    } catch (error) {
      if (error instanceof PolicyError) return false;
      throw error;
    }
  };
  // Pieces of real entries, look-alikes and troublemakers, so that random entries are often near-valid.
  const piece = fc.oneof(
    fc.constantFrom(
      'https',
      'HTTP',
      '*',
      'redis',
      'k',
      '\u212A',
      '://',
      ':',
      '::',
      '/',
      '.',
      '..',
      '*.',
      '[',
      ']',
      '%',
      '@',
      ' ',
      '\u00a0',
    ),
    fc.constantFrom('example.com', 'EXAMPLE.org', '10.0.0.0', '::1', 'fd00::', '127.0.0.1', 'self', '{a,b}', 'insecure:allow-all'),
    fc.constantFrom('443', '8080', '65535', '65536', '0', '80..90', '90..80', '*'),
    fc.string({ maxLength: 4 }),
  );
  const entry = fc.array(piece, { maxLength: 9 }).map((parts) => parts.join(''));

  it('is matched by every entry the policy accepts, so a schema check never refuses a good entry', () => {
    fc.assert(
      fc.property(entry, (text) => !accepts(text) || ALLOWED_HOST_PATTERN.test(text)),
      { numRuns: 20_000 },
    );
  });

  it.each([
    'https://api.example.com',
    'https://*.example.com:8443',
    'http://10.0.0.0/8:8080',
    '*://*:*',
    'http://[::1]:80/',
    'redis://cache:6379',
  ])('matches %s', (text) => {
    expect(accepts(text)).toBe(true);
    expect(ALLOWED_HOST_PATTERN.test(text)).toBe(true);
  });

  it.each([' https://a.com', 'https://a.com ', '\u212Attp://a.com', 'https://*.a b.com'])(
    'refuses %j, which a pattern check refuses too',
    (text) => {
      expect(accepts(text)).toBe(false);
      expect(ALLOWED_HOST_PATTERN.test(text)).toBe(false);
    },
  );
});
