import { ConfigError, parseConfig } from '../../../src/config/env';
import {
  EgressAllowListError,
  entryForOrigin,
  parseEgressAllowList,
  refuseAddress,
  refuseHost,
  specialAddressReason,
} from '../../../src/egress/allow-list';

describe('egress allow-list entries', () => {
  it('reads names, wildcards, addresses with ports and networks', () => {
    const list = parseEgressAllowList(' api.example.com:443, *.example.org ,*, 127.0.0.1:8080, [::1]:9000, 10.0.0.0/8, fd00::/8, ::1');
    expect(list.entries.map(({ text, ...e }) => e)).toEqual([
      { kind: 'name', host: 'api.example.com', port: 443 },
      { kind: 'name', host: '*.example.org' },
      { kind: 'name', host: '*' },
      { kind: 'network', address: '127.0.0.1', prefix: 32, port: 8080 },
      { kind: 'network', address: '::1', prefix: 128, port: 9000 },
      { kind: 'network', address: '10.0.0.0', prefix: 8 },
      { kind: 'network', address: 'fd00::', prefix: 8 },
      { kind: 'network', address: '::1', prefix: 128 },
    ]);
    expect(parseEgressAllowList('').entries).toEqual([]);
    expect(parseEgressAllowList(undefined).entries).toEqual([]);
  });

  it('lists every bad entry at once, including addresses spelled in hex, decimal or short form', () => {
    let error: unknown;
    try {
      parseEgressAllowList('0x7f000001,2130706433,127.1,10.0.0.0/33,a:99999,ex ample.com,,[10.0.0.1]');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(EgressAllowListError);
    const problems = (error as EgressAllowListError).problems;
    expect(problems).toHaveLength(8);
    expect(problems[0]).toMatch(/"0x7f000001": reads as the address 127\.0\.0\.1/);
    expect(problems[1]).toMatch(/reads as the address 127\.0\.0\.1/);
    expect(problems[2]).toMatch(/reads as the address 127\.0\.0\.1/);
    expect(problems[3]).toMatch(/prefix must be 0-32/);
    expect(problems[4]).toMatch(/port must be 1-65535/);
    expect(problems[6]).toMatch(/empty entry/);
  });

  it('takes the origin of a configured URL as an entry', () => {
    expect(entryForOrigin('https://pay.example.com/v1')).toMatchObject({ kind: 'name', host: 'pay.example.com', port: 443 });
    expect(entryForOrigin('http://127.0.0.1:4010/')).toMatchObject({ kind: 'network', address: '127.0.0.1', port: 4010 });
  });
});

describe('special addresses', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.20.1.1', 'private'],
    ['192.168.1.1', 'private'],
    ['::ffff:10.0.0.1', 'private'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['169.254.169.254', 'a cloud metadata address'],
    ['::ffff:169.254.169.254', 'a cloud metadata address'],
    ['fd00:ec2::254', 'a cloud metadata address'],
    ['169.254.10.1', 'link-local'],
    ['fe80::1', 'link-local'],
    ['fc00::1', 'unique local (private)'],
    ['fd12:3456::1', 'unique local (private)'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['64:ff9b::7f00:1', 'NAT64, which embeds an IPv4 address'],
    ['2002:7f00:1::', '6to4, which embeds an IPv4 address'],
  ])('%s is %s', (address, reason) => {
    expect(specialAddressReason(address)).toBe(reason);
  });

  it.each(['93.184.216.34', '8.8.8.8', '2606:4700::1111', '::ffff:8.8.8.8'])('%s is public', (address) => {
    expect(specialAddressReason(address)).toBeUndefined();
  });
});

describe('what the list lets through', () => {
  const list = parseEgressAllowList('api.example.com:443,*.corp.example,127.0.0.1:8080,10.1.0.0/16,metadata.google.internal');

  it('lets a name through on its port only, and a wildcard match subdomains but not the apex', () => {
    expect(refuseHost(list, 'api.example.com', 443)).toBeUndefined();
    expect(refuseHost(list, 'API.example.com', 443)).toBeUndefined();
    expect(refuseHost(list, 'api.example.com', 8443)).toMatch(/not on the egress allow-list/);
    expect(refuseHost(list, 'x.corp.example', 80)).toBeUndefined();
    expect(refuseHost(list, 'corp.example', 80)).toMatch(/not on the egress allow-list/);
    expect(refuseHost(list, 'evilcorp.example', 80)).toMatch(/not on the egress allow-list/);
  });

  it('lets special addresses through only where an address or network entry names them', () => {
    expect(refuseHost(list, '127.0.0.1', 8080)).toBeUndefined();
    expect(refuseHost(list, '[::ffff:7f00:1]', 8080)).toBeUndefined();
    expect(refuseHost(list, '127.0.0.1', 8081)).toMatch(/loopback/);
    expect(refuseHost(list, '10.1.2.3', 80)).toBeUndefined();
    expect(refuseHost(list, '10.2.0.1', 80)).toMatch(/private/);
    // A name entry is not enough for a name that resolves to a private address.
    expect(refuseAddress(list, 'api.example.com', 443, '10.2.0.1')).toMatch(/api\.example\.com resolves to 10\.2\.0\.1 \(private\)/);
    expect(refuseAddress(list, 'api.example.com', 443, '10.1.0.9')).toBeUndefined();
    expect(refuseAddress(list, 'api.example.com', 443, '93.184.216.34')).toBeUndefined();
  });

  it('refuses public address literals unless "*" or an address entry allows them', () => {
    expect(refuseHost(list, '93.184.216.34', 80)).toMatch(/not on the egress allow-list/);
    expect(refuseHost(parseEgressAllowList('*'), '93.184.216.34', 80)).toBeUndefined();
    expect(refuseHost(parseEgressAllowList('*'), '10.0.0.1', 80)).toMatch(/private/);
  });

  it('lets a metadata name through only where an entry spells it out', () => {
    expect(refuseHost(parseEgressAllowList('*,*.internal,*.google.internal'), 'metadata.google.internal', 80)).toMatch(
      /cloud metadata service/,
    );
    expect(refuseHost(list, 'metadata.google.internal', 80)).toBeUndefined();
    // ...and even then its address needs its own entry.
    expect(refuseAddress(list, 'metadata.google.internal', 80, '169.254.169.254')).toMatch(/cloud metadata address/);
  });
});

describe('GATEHOUSE_EGRESS_ALLOW', () => {
  it('is parsed with the configuration, empty by default', () => {
    expect(parseConfig({}).GATEHOUSE_EGRESS_ALLOW.entries).toEqual([]);
    expect(parseConfig({ GATEHOUSE_EGRESS_ALLOW: '127.0.0.1,api.example.com' }).GATEHOUSE_EGRESS_ALLOW.entries).toHaveLength(2);
  });

  it('reports each bad entry as a configuration problem', () => {
    let error: unknown;
    try {
      parseConfig({ GATEHOUSE_EGRESS_ALLOW: '0x7f000001,10.0.0.0/99' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      expect.stringMatching(/^GATEHOUSE_EGRESS_ALLOW: "0x7f000001": reads as the address 127\.0\.0\.1/),
      expect.stringMatching(/^GATEHOUSE_EGRESS_ALLOW: "10\.0\.0\.0\/99": prefix must be 0-32/),
    ]);
  });
});
