import { hostRefusal, refusalOf } from './address-policy.js';

describe('webhook address policy', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'shared (CGNAT)'],
    ['100.100.100.200', 'shared (CGNAT)'], // Alibaba Cloud metadata
    ['169.254.169.254', 'cloud metadata'],
    ['169.254.1.1', 'link-local'],
    ['0.0.0.0', 'reserved'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'reserved'],
    ['[::1]', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:a9fe:a9fe', 'cloud metadata'],
    ['0:0:0:0:0:ffff:10.0.0.1', 'private'],
    ['64:ff9b::169.254.169.254', 'cloud metadata'], // NAT64
    ['2002:7f00:1::1', 'loopback'], // 6to4 of 127.0.0.1
    ['fd00:ec2::254', 'cloud metadata'], // AWS IMDS over IPv6
    ['fc00::1', 'private'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'documentation'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'reserved'], // Teredo
  ])('%s is refused (%s)', (ip, reason) => {
    expect(refusalOf(ip)).toBe(reason);
  });

  it.each(['93.184.216.34', '8.8.8.8', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '2002:808:808::1'])(
    '%s is allowed',
    (ip) => {
      expect(refusalOf(ip)).toBeNull();
    },
  );

  it('hosts as the URL parser leaves them: decimal, octal and hex forms arrive normalised; names that mean this machine are refused', async () => {
    for (const url of [
      'http://2130706433/',
      'http://0177.0.0.1/',
      'http://0x7f.1/',
      'http://127.1/',
      'http://[::ffff:127.0.0.1]/',
      'http://0x7f000001/',
    ]) {
      expect(await hostRefusal(new URL(url).hostname)).toBe('loopback');
    }
    expect(await hostRefusal(new URL('http://0xa9fea9fe/').hostname)).toBe('cloud metadata');
    for (const name of ['localhost', 'LOCALHOST.', 'api.localhost']) expect(await hostRefusal(name)).toBe('loopback');
    expect(await hostRefusal('93.184.216.34')).toBeNull();
  });
});
