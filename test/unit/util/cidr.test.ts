import { describe, expect, it } from 'vitest';
import { addressSet, isValidCidr } from '../../../src/util/cidr';
import { META_DEFAULT_RANGES } from '../../../src/config/schema';

describe('address sets', () => {
  it("matches Meta's published ranges and nothing else", () => {
    const meta = addressSet(META_DEFAULT_RANGES);
    expect(meta.has('157.240.19.130')).toBe(true);
    expect(meta.has('57.144.135.35')).toBe(true);
    expect(meta.has('::ffff:31.13.66.215')).toBe(true);
    expect(meta.has('8.8.8.8')).toBe(false);
    expect(meta.has('not-an-ip')).toBe(false);
  });

  it("matches Meta's IPv6 signalling addresses (from Meta's own traces) and no one else's", () => {
    const meta = addressSet(META_DEFAULT_RANGES);
    expect(meta.has('2803:6080:e888:51aa:d4a4:c5e0:300:0')).toBe(true); // Via received= in calling-sip-configuration-guide.md
    expect(meta.has('[2803:6080:f948:9597:1ac5:cdf8:300:0]')).toBe(true);
    expect(meta.has('2a03:2880:f003:c07:face:b00c::2')).toBe(true);
    expect(meta.has('2a03:2887:ff2c::1')).toBe(true);
    expect(meta.has('2001:4860:4860::8888')).toBe(false);
    expect(meta.has('2a03:2888::1')).toBe(false);
    expect(meta.has('::1')).toBe(false);
  });

  it('validates CIDRs', () => {
    expect(isValidCidr('10.0.0.0/8')).toBe(true);
    expect(isValidCidr('2a03:2880::/32')).toBe(true);
    expect(isValidCidr('10.0.0.0/33')).toBe(false);
    expect(isValidCidr('example.com/24')).toBe(false);
  });

  it('refuses a prefix length that is not plain digits (an empty one used to be /0: every address)', () => {
    for (const bad of ['10.0.0.5/', '10.0.0.5/ 8', '10.0.0.5/0x10', '10.0.0.5/1e1', '10.0.0.5/032', '10.0.0.5/-0', '::1/', '10.0.0.5/8/8']) {
      expect(isValidCidr(bad), bad).toBe(false);
    }
    expect(() => addressSet(['10.0.0.5/'])).toThrow('invalid CIDR');
    expect(isValidCidr('10.0.0.5/0')).toBe(true);
    expect(isValidCidr('::/0')).toBe(true);
  });
});
