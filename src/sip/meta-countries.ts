/**
 * Where Meta offers no business-initiated calling (meta-docs/calling-cloud-api-calling.md,
 * "Business-initiated calling ... except the following countries: USA, Canada, Egypt,
 * Vietnam, Nigeria. The business phone number's country code must be in this supported
 * list"). Told by the business number's E.164 country code: +20 Egypt, +84 Vietnam,
 * +234 Nigeria, and +1 for the USA and Canada, except the area codes of the other members of
 * the North American Numbering Plan (Jamaica, Bahamas, Puerto Rico, ...), which are other
 * countries or territories with their own region codes, and are left to Meta.
 */
import type { BusinessNumber } from '../config/types';

const COUNTRY_CODES: [prefix: string, country: string][] = [
  ['+20', 'Egypt'],
  ['+84', 'Vietnam'],
  ['+234', 'Nigeria'],
];

/**
 * NANP area codes outside the USA and Canada: the Caribbean members and Bermuda, and the US
 * territories (Puerto Rico, US Virgin Islands, Guam, Northern Mariana Islands, American Samoa).
 * Source: the NANPA list of NANP countries and their area codes.
 */
const OTHER_NANP_AREA_CODES = new Set([
  '242', '246', '264', '268', '284', '340', '345', '441', '473', '649', '658', '664', '670', '671', '684',
  '721', '758', '767', '784', '787', '809', '829', '849', '868', '869', '876', '939',
]);

/** the country whose business numbers Meta offers no business-initiated calling, or null */
export function businessCallingUnavailable(e164: string): string | null {
  if (e164.startsWith('+1')) return OTHER_NANP_AREA_CODES.has(e164.slice(2, 5)) ? null : 'the USA or Canada (+1)';
  const hit = COUNTRY_CODES.find(([prefix]) => e164.startsWith(prefix));
  return hit ? `${hit[1]} (${hit[0]})` : null;
}

export interface CountryWarning {
  number: string;
  msg: string;
}

/** what check-config and the start-up log say about such numbers */
export function countryWarnings(numbers: readonly Pick<BusinessNumber, 'number' | 'country_rule'>[]): CountryWarning[] {
  return numbers.flatMap((n) => {
    const country = businessCallingUnavailable(n.number);
    if (!country) return [];
    const then = (n.country_rule ?? 'allow') === 'refuse'
      ? 'agent calls from it are refused with 403 (country_rule: refuse); calls to it work'
      : 'agent calls from it still go to Meta (country_rule: allow), which refuses them unless it has enabled the number (test numbers, a changed rule)';
    return [{ number: n.number, msg: `business number ${n.number}: Meta offers no business-initiated calling for numbers of ${country}; ${then}` }];
  });
}
