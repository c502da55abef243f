import { describe, expect, it } from 'vitest';
import { normalizeDialed } from '../../../src/sip/dial-plan';

const uk = { strip_prefixes: ['9'], international_prefix: '00', national_prefix: '0', country_code: '44' };
const us = { strip_prefixes: [], international_prefix: '011', national_prefix: '', country_code: '1' };

describe('dialed number → E.164', () => {
  it.each([
    ['907700900123', uk, '+447700900123'],
    ['07700900123', uk, '+447700900123'],
    ['9001 212 555 0100', uk, '+12125550100'],
    ['+12195550714', uk, '+12195550714'],
    ['%2B12195550714', uk, '+12195550714'],
    ['01144 7700 900123', us, '+447700900123'],
    ['12195550714', us, '+12195550714'],
  ])('%s → %s', (dialed, rules, e164) => {
    expect(normalizeDialed(dialed, rules)).toBe(e164);
  });

  it.each(['hello', '9', '912', '+123', '+0123456789', '%zz', '*21#'])('refuses %s', (dialed) => {
    expect(normalizeDialed(dialed, uk)).toBeNull();
  });
});
