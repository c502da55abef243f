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

  it('validates CIDRs', () => {
    expect(isValidCidr('10.0.0.0/8')).toBe(true);
    expect(isValidCidr('2a03:2880::/32')).toBe(true);
    expect(isValidCidr('10.0.0.0/33')).toBe(false);
    expect(isValidCidr('example.com/24')).toBe(false);
  });
});
