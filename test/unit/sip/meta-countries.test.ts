import { describe, expect, it } from 'vitest';
import { businessCallingUnavailable, countryWarnings } from '../../../src/sip/meta-countries';

describe("Meta's country rule for business-initiated calls (calling-cloud-api-calling.md)", () => {
  it.each([
    ['+12145551869', 'the USA or Canada (+1)'],
    ['+14165550100', 'the USA or Canada (+1)'], // Toronto
    ['+18005550100', 'the USA or Canada (+1)'], // toll-free, shared by both
    ['+20225550100', 'Egypt (+20)'],
    ['+842435550100', 'Vietnam (+84)'],
    ['+2348035550100', 'Nigeria (+234)'],
  ])('%s is a number of %s', (n, country) => {
    expect(businessCallingUnavailable(n)).toBe(country);
  });

  it.each([
    '+18765550100', // Jamaica: +1, another country of the NANP
    '+18095550100', // Dominican Republic
    '+17875550100', // Puerto Rico, a territory with its own region code: left to Meta
    '+442071230000', '+33123456789', '+5511955550100', '+2335550100', // UK, France, Brazil, Ghana (+233, not +234)
    '+8525550100', // Hong Kong (+852, not +84)
  ])('%s: business-initiated calling is offered', (n) => {
    expect(businessCallingUnavailable(n)).toBeNull();
  });

  it('warns about such numbers, saying what happens to agent calls from them', () => {
    const w = countryWarnings([
      { number: '+12145551869', country_rule: 'refuse' },
      { number: '+2348035550100', country_rule: 'allow' },
      { number: '+442071230000', country_rule: 'refuse' },
    ]);
    expect(w.map((x) => x.number)).toEqual(['+12145551869', '+2348035550100']);
    expect(w[0]!.msg).toBe('business number +12145551869: Meta offers no business-initiated calling for numbers of the USA or Canada (+1); agent calls from it are refused with 403 (country_rule: refuse); calls to it work');
    expect(w[1]!.msg).toMatch(/Nigeria \(\+234\); agent calls from it still go to Meta \(country_rule: allow\)/);
  });
});
