import type { LookupAddress } from 'node:dns';
import { describe, expect, test } from 'vitest';
import {
  type AddressClass,
  BLOCKED_CODE,
  classifyHost,
  classifyIp,
  guardedLookup,
  type Resolver,
  reachable,
} from '../../src/local/runtime/address-class.js';

/**
 * Workers cannot reach this machine: the classifier that keeps workers on the local edge away from this machine and
 * private networks. Pure functions: nothing here resolves a name or sends a packet.
 */

const EXPECTED: Record<AddressClass, string[]> = {
  loopback: ['127.0.0.1', '127.255.255.254', '::1', '::ffff:127.0.0.1', '0:0:0:0:0:0:0:1'],
  private: [
    '10.0.0.1',
    '10.255.255.255',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '100.64.0.1',
    'fc00::1',
    'fd12:3456::1',
    'fec0::1',
    '::ffff:10.1.2.3',
    '::ffff:a01:203',
    '64:ff9b::10.0.0.1',
    '2002:0a00:0001::1',
  ],
  'link-local': ['169.254.169.254', '169.254.0.1', 'fe80::1', 'fe80::1%eth0', '::ffff:169.254.169.254'],
  unspecified: ['0.0.0.0', '0.1.2.3', '::'],
  multicast: ['224.0.0.1', '239.255.255.250', 'ff02::1'],
  reserved: [
    '192.0.2.1',
    '198.51.100.7',
    '203.0.113.9',
    '198.18.0.1',
    '240.0.0.1',
    '255.255.255.255',
    '2001:db8::1',
    '::1.2.3.4',
    '100::1',
  ],
  public: [
    '8.8.8.8',
    '1.1.1.1',
    '172.15.255.255',
    '172.32.0.1',
    '100.128.0.1',
    '11.0.0.1',
    '2606:4700:4700::1111',
    '::ffff:8.8.8.8',
    '64:ff9b::8.8.8.8',
    '2002:0808:0808::1',
  ],
};

describe('which addresses a worker may reach', () => {
  test('IP addresses are classed as loopback, private, link-local, unspecified, multicast, reserved or public', () => {
    for (const [expected, addresses] of Object.entries(EXPECTED)) {
      for (const address of addresses) expect(classifyIp(address), address).toBe(expected);
    }
    expect(classifyIp('example.com')).toBeUndefined();
    expect(classifyIp('1.2.3')).toBeUndefined();
  });

  test('URL hostnames: localhost names are loopback, bracketed IPv6 by its address, other names wait for their lookup', () => {
    expect(classifyHost('localhost')).toBe('loopback');
    expect(classifyHost('LOCALHOST.')).toBe('loopback');
    expect(classifyHost('acme.localhost')).toBe('loopback');
    expect(classifyHost('[::1]')).toBe('loopback');
    expect(classifyHost('[fe80::1]')).toBe('link-local');
    expect(classifyHost('169.254.169.254')).toBe('link-local');
    expect(classifyHost('example.com')).toBe('name');
    expect(classifyHost('localhost.example.com')).toBe('name');
  });

  test('only public addresses are reachable; loopback only when the edge allows it; private never', () => {
    expect(reachable('public', { allowLoopback: false })).toBe(true);
    expect(reachable('loopback', { allowLoopback: false })).toBe(false);
    expect(reachable('loopback', { allowLoopback: true })).toBe(true);
    for (const other of ['private', 'link-local', 'unspecified', 'multicast', 'reserved'] as const) {
      expect(reachable(other, { allowLoopback: true }), other).toBe(false);
    }
  });

  test('a name is connected only to its public addresses, and refused when it has none (the check is the lookup itself)', async () => {
    const answers: Record<string, LookupAddress[]> = {
      'mixed.test': [
        { address: '10.0.0.5', family: 4 },
        { address: '93.184.216.34', family: 4 },
      ],
      'inside.test': [
        { address: '10.0.0.5', family: 4 },
        { address: '127.0.0.1', family: 4 },
        { address: 'fe80::1', family: 6 },
      ],
    };
    const resolver: Resolver = (hostname, _options, callback) => {
      const found = answers[hostname];
      if (found) callback(null, found);
      else callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), []);
    };
    const lookup = guardedLookup((addressClass) => reachable(addressClass, { allowLoopback: false }), resolver);
    const ask = (hostname: string, all: boolean) =>
      new Promise<{ error: NodeJS.ErrnoException | null; address: unknown; family?: number }>((resolve) =>
        lookup(hostname, { all }, (error, address, family) => resolve({ error, address, family })),
      );

    expect(await ask('mixed.test', true)).toEqual({ error: null, address: [{ address: '93.184.216.34', family: 4 }], family: undefined });
    expect(await ask('mixed.test', false)).toEqual({ error: null, address: '93.184.216.34', family: 4 });
    const inside = await ask('inside.test', false);
    expect(inside.error?.code).toBe(BLOCKED_CODE);
    expect(inside.error?.message).toBe('inside.test resolves only to addresses workers cannot reach (private, loopback, link-local)');
    expect((await ask('missing.test', false)).error?.code).toBe('ENOTFOUND');
  });
});
