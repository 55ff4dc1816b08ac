/**
 * classifyAddress against IANA's special-purpose address registries (IPv4 and IPv6) and the IPv6
 * address space registry: every special range, at its edges where they matter, is not public,
 * and so is every IPv6 form that embeds an IPv4 address, whatever it embeds.
 */
import { describe, expect, it } from 'vitest';
import { classifyAddress, parseAddress } from '../src/egress/address-class.js';

describe('classifyAddress: IPv4', () => {
  it.each([
    ['0.0.0.0', 'unspecified'],
    ['0.255.255.255', 'unspecified'],
    ['10.0.0.1', 'private'],
    ['10.255.255.255', 'private'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['100.127.255.255', 'carrierGradeNat'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['169.254.169.254', 'linkLocal'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.0.0.8', 'reserved'],
    ['192.0.2.1', 'reserved'],
    ['192.31.196.1', 'as112'],
    ['192.52.193.1', 'amt'],
    ['192.88.99.1', 'reserved'],
    ['192.168.1.1', 'private'],
    ['192.175.48.1', 'as112'],
    ['198.18.0.1', 'reserved'],
    ['198.19.255.255', 'reserved'],
    ['198.51.100.7', 'reserved'],
    ['203.0.113.9', 'reserved'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'broadcast'],
  ])('%s is %s, not public', (address, range) => {
    expect(classifyAddress(address)).toEqual({ address, range, isPublic: false });
  });

  it.each([
    '1.1.1.1',
    '8.8.8.8',
    '93.184.216.34',
    '100.63.255.255',
    '100.128.0.0',
    '172.15.255.255',
    '172.32.0.0',
    '192.0.1.1',
    '198.17.255.255',
    '198.20.0.0',
    '223.255.255.255',
  ])('%s is public', (address) => {
    expect(classifyAddress(address)).toEqual({ address, range: 'unicast', isPublic: true });
  });
});

describe('classifyAddress: IPv6', () => {
  it.each([
    // ::/8, reserved by the IETF: unspecified, loopback, and the forms that embed IPv4.
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['::7f00:1', 'ipv4Compatible(loopback)'],
    ['::127.0.0.2', 'ipv4Compatible(loopback)'],
    ['::2', 'ipv4Compatible(unspecified)'],
    ['::a9fe:a9fe', 'ipv4Compatible(linkLocal)'],
    ['::a00:1', 'ipv4Compatible(private)'],
    ['::808:808', 'ipv4Compatible(unicast)'],
    ['::ffff:127.0.0.1', 'ipv4Mapped(loopback)'],
    ['::ffff:169.254.169.254', 'ipv4Mapped(linkLocal)'],
    ['::ffff:10.1.2.3', 'ipv4Mapped(private)'],
    ['::ffff:8.8.8.8', 'ipv4Mapped(unicast)'],
    ['::ffff:0:127.0.0.1', 'rfc6145(loopback)'],
    ['::ffff:0:808:808', 'rfc6145(unicast)'],
    ['64:ff9b::7f00:1', 'rfc6052(loopback)'],
    ['64:ff9b::a9fe:a9fe', 'rfc6052(linkLocal)'],
    ['64:ff9b::808:808', 'rfc6052(unicast)'],
    ['64:ff9b:1::7f00:1', 'rfc6052'],
    ['64:ff9b:1:ffff:ffff:ffff:ffff:ffff', 'rfc6052'],
    ['::1:0:0:0', 'notGlobalUnicast'],
    ['0:1::1', 'notGlobalUnicast'],
    // 100::/64 discard-only, 100:0:0:1::/64 the dummy prefix (RFC 9780).
    ['100::1', 'discard'],
    ['100::ffff:ffff:ffff:ffff', 'discard'],
    ['100:0:0:1::1', 'dummyPrefix'],
    ['100:0:0:2::1', 'notGlobalUnicast'],
    // 2001::/23, IETF protocol assignments, Teredo included.
    ['2001::1', 'teredo(reserved)'],
    ['2001:0:4136:e378:8000:63bf:80ff:fffe', 'teredo(loopback)'],
    ['2001:1::1', 'reserved'],
    ['2001:1::2', 'reserved'],
    ['2001:2::1', 'benchmarking'],
    ['2001:3::1', 'amt'],
    ['2001:4:112::1', 'as112v6'],
    ['2001:10::1', 'deprecatedOrchid'],
    ['2001:20::1', 'orchid2'],
    ['2001:30::1', 'droneRemoteIdProtocolEntityTags'],
    ['2001:1ff:ffff::1', 'reserved'],
    // Documentation.
    ['2001:db8::1', 'reserved'],
    ['2001:db8:ffff:ffff::1', 'reserved'],
    ['3fff::1', 'reserved'],
    ['3fff:fff:ffff::1', 'reserved'],
    // 6to4 embeds an IPv4 address in bits 16-47.
    ['2002:7f00:1::1', '6to4(loopback)'],
    ['2002:a9fe:a9fe::', '6to4(linkLocal)'],
    ['2002:808:808::1', '6to4(unicast)'],
    ['2620:4f:8000::1', 'as112v6'],
    ['5f00::1', 'segmentRouting'],
    ['fc00::1', 'uniqueLocal'],
    ['fd00:ec2::254', 'uniqueLocal'],
    ['fdff:ffff::1', 'uniqueLocal'],
    ['fe80::1', 'linkLocal'],
    ['febf:ffff::1', 'linkLocal'],
    ['fec0::1', 'deprecatedSiteLocal'],
    ['feff::1', 'deprecatedSiteLocal'],
    ['ff02::1', 'multicast'],
    ['ff05::1:3', 'multicast'],
    ['ff0e::101', 'multicast'],
    // Outside 2000::/3, the only global unicast block.
    ['1000::1', 'notGlobalUnicast'],
    ['4000::1', 'notGlobalUnicast'],
    ['e000::1', 'notGlobalUnicast'],
    ['fe00::1', 'notGlobalUnicast'],
  ])('%s is %s, not public', (address, range) => {
    expect(classifyAddress(address)).toMatchObject({ range, isPublic: false });
  });

  it.each(['2606:4700::1111', '2001:4860:4860::8888', '2001:200::1', '2620:fe::fe', '2a00:1450:4001:80b::200e', '3fff:1000::1'])(
    '%s is public',
    (address) => {
      expect(classifyAddress(address)).toEqual({ address, range: 'unicast', isPublic: true });
    },
  );

  it('normalizes the address it reports', () => {
    expect(classifyAddress('0:0:0:0:0:0:7f00:0001').address).toBe('::7f00:1');
    expect(classifyAddress('[::FFFF:127.0.0.1]').address).toBe('::ffff:7f00:1');
  });
});

describe('parseAddress', () => {
  it('reads ::a.b.c.d as IPv4-compatible, as the URL parser and Node do, not as IPv4-mapped', () => {
    expect(new URL('http://[::127.0.0.1]/').hostname).toBe('[::7f00:1]');
    expect(parseAddress('::127.0.0.1').toString()).toBe('::7f00:1');
    expect(classifyAddress('::127.0.0.1')).toEqual({ address: '::7f00:1', range: 'ipv4Compatible(loopback)', isPublic: false });
    expect(parseAddress('::ffff:127.0.0.1').toString()).toBe('::ffff:7f00:1');
    expect(() => parseAddress('::127.0.0.01')).toThrow();
  });
});
