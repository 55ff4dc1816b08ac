import { describe, expect, it } from 'vitest';
import { classifyAddress } from '../src/egress/address-class.js';
import { createEgressPolicy } from '../src/egress/egress-policy.js';

function allowed(rules: string[], url: string): boolean {
  return createEgressPolicy(rules).checkUrl(url).allowed;
}

describe('createEgressPolicy: URLs against rules', () => {
  it('denies everything when there are no rules, and says how to allow it', () => {
    const verdict = createEgressPolicy([]).checkUrl('https://example.com/x');
    expect(verdict).toEqual({ allowed: false, reason: expect.stringContaining('"https://example.com:443"') });
  });

  it('matches scheme, host and port with Spin semantics', () => {
    expect(allowed(['https://example.com'], 'https://example.com/path?q=1')).toBe(true);
    expect(allowed(['https://example.com'], 'https://example.com:443/')).toBe(true);
    expect(allowed(['https://example.com'], 'http://example.com/')).toBe(false);
    expect(allowed(['https://example.com'], 'https://example.com:8443/')).toBe(false);
    expect(allowed(['https://example.com'], 'https://www.example.com/')).toBe(false);
    expect(allowed(['https://*.example.com'], 'https://www.example.com/')).toBe(true);
    expect(allowed(['https://*.example.com'], 'https://example.com/')).toBe(false);
    expect(allowed(['https://*.example.com'], 'https://evilexample.com/')).toBe(false);
    expect(allowed(['*://example.com:*'], 'http://example.com:1234/')).toBe(true);
    expect(allowed(['http://example.com:8000..8010'], 'http://example.com:8009/')).toBe(true);
    expect(allowed(['http://example.com:8000..8010'], 'http://example.com:8010/')).toBe(false);
  });

  it('reads the URL the way the connection will: userinfo is not the host', () => {
    expect(allowed(['https://example.com'], 'https://example.com@evil.test/')).toBe(false);
    expect(allowed(['https://evil.test'], 'https://example.com@evil.test/')).toBe(true);
    expect(allowed(['https://example.com'], 'https://example.com.evil.test/')).toBe(false);
    expect(allowed(['https://example.com'], 'https://EXAMPLE.com./')).toBe(false);
  });

  it('normalizes IP literal spellings before matching a CIDR rule', () => {
    for (const spelling of ['http://0x7f000001/', 'http://2130706433/', 'http://127.1/', 'http://0177.0.0.1/']) {
      expect(allowed(['http://127.0.0.0/8:80'], spelling)).toBe(true);
      expect(allowed(['http://10.0.0.0/8:80'], spelling)).toBe(false);
    }
  });

  it('refuses schemes other than http and https, and non-URLs', () => {
    expect(createEgressPolicy(['*://*:*']).checkUrl('file:///etc/passwd')).toMatchObject({
      allowed: false,
      reason: expect.stringContaining('file:'),
    });
    expect(createEgressPolicy(['*://*:*']).checkUrl('not a url').allowed).toBe(false);
  });
});

describe('createEgressPolicy: resolved addresses', () => {
  function checkAddresses(rules: string[], url: string, addresses: string[]) {
    const policy = createEgressPolicy(rules);
    const verdict = policy.checkUrl(url);
    if (!verdict.allowed) throw new Error(verdict.reason);
    return policy.checkAddresses(verdict.target, addresses);
  }

  it('lets public addresses through and refuses loopback, private, link-local and metadata addresses', () => {
    expect(checkAddresses(['https://*'.replace('*', 'example.com')], 'https://example.com/', ['93.184.216.34'])).toEqual({
      allowed: true,
      address: '93.184.216.34',
    });
    for (const address of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '100.100.100.200',
      '0.0.0.0',
      '::1',
      'fe80::1',
      'fd00:ec2::254',
      '::ffff:127.0.0.1',
      '64:ff9b::7f00:1',
      '2002:7f00:1::',
      '::7f00:1',
      '::127.0.0.1',
      '::ffff:0:7f00:1',
      '64:ff9b:1::7f00:1',
      '100::1',
      '2001::1',
      '2001:10::1',
      '2001:db8::1',
      '3fff::1',
      '5f00::1',
      'fec0::1',
      'ff02::1',
      '4000::1',
    ]) {
      const verdict = checkAddresses(['*://*:*'], 'http://rebind.test/', [address]);
      expect(verdict.allowed, address).toBe(false);
    }
  });

  it('opens a non-public address only to a rule that names the address itself', () => {
    expect(checkAddresses(['http://db.test:5000', 'http://10.0.0.0/8:5000'], 'http://db.test:5000/', ['10.0.0.7']).allowed).toBe(true);
    expect(checkAddresses(['http://db.test:5000', 'http://10.0.0.0/8:6000'], 'http://db.test:5000/', ['10.0.0.7']).allowed).toBe(false);
    expect(checkAddresses(['http://localhost:5000'], 'http://localhost:5000/', ['127.0.0.1']).allowed).toBe(false);
    expect(checkAddresses(['http://127.0.0.1:5000'], 'http://127.0.0.1:5000/', ['127.0.0.1']).allowed).toBe(true);
  });

  it('opens an IPv4-compatible address only to a rule that names it, whichever way the resolver spells it', () => {
    for (const resolved of ['::7f00:1', '::127.0.0.1']) {
      expect(checkAddresses(['http://db.test:80'], 'http://db.test/', [resolved]).allowed, resolved).toBe(false);
      expect(checkAddresses(['http://db.test:80', 'http://[::7f00:1]:80'], 'http://db.test/', [resolved])).toEqual({
        allowed: true,
        address: '::7f00:1',
      });
      expect(checkAddresses(['http://db.test:80', 'http://[::]/96:80'], 'http://db.test/', [resolved]).allowed, resolved).toBe(true);
      expect(checkAddresses(['http://db.test:80', 'http://[::]/96:81'], 'http://db.test/', [resolved]).allowed, resolved).toBe(false);
    }
    expect(checkAddresses(['http://[::7f00:1]:80'], 'http://[::127.0.0.1]/', ['::7f00:1']).allowed).toBe(true);
  });

  it('opens an IPv4-mapped address to a rule for the IPv4 address it embeds, and to nothing wider', () => {
    expect(checkAddresses(['http://db.test:80', 'http://127.0.0.0/8:80'], 'http://db.test/', ['::ffff:127.0.0.1']).allowed).toBe(true);
    expect(checkAddresses(['*://*:*'], 'http://db.test/', ['::ffff:8.8.8.8']).allowed).toBe(false);
  });

  it('skips a refused address in favour of a public one', () => {
    expect(checkAddresses(['https://example.com'], 'https://example.com/', ['127.0.0.1', '93.184.216.34'])).toEqual({
      allowed: true,
      address: '93.184.216.34',
    });
  });

  it('classifies IPv6 forms that embed an IPv4 address as non-public', () => {
    expect(classifyAddress('::ffff:8.8.8.8').isPublic).toBe(false);
    expect(classifyAddress('2606:4700::1111').isPublic).toBe(true);
  });
});
