/**
 * The number a PBX user dialed → E.164 (SPEC P3). Rules per PBX, applied in order:
 *   `+` first            → international as dialed
 *   strip_prefixes       → an outside-line digit ("9") is removed first
 *   international_prefix → "00" / "011" + country code + number
 *   national_prefix      → "0" + national number, with the PBX's country_code
 *   otherwise            → digits taken as country code + number
 * The result must be `+` and 7-15 digits, else the call gets 484 Address Incomplete.
 */
export interface DialingRules {
  strip_prefixes: readonly string[];
  international_prefix: string;
  national_prefix: string;
  country_code: string;
}

export function normalizeDialed(user: string, rules: DialingRules): string | null {
  let s: string;
  try {
    s = decodeURIComponent(user).replace(/[\s().-]/g, '');
  } catch {
    return null;
  }
  let e164: string;
  if (s.startsWith('+')) {
    e164 = s;
  } else {
    if (!/^\d+$/.test(s)) return null;
    const strip = rules.strip_prefixes.find((p) => p && s.startsWith(p));
    if (strip) s = s.slice(strip.length);
    if (rules.international_prefix && s.startsWith(rules.international_prefix)) {
      e164 = `+${s.slice(rules.international_prefix.length)}`;
    } else if (rules.national_prefix && rules.country_code && s.startsWith(rules.national_prefix)) {
      e164 = `+${rules.country_code}${s.slice(rules.national_prefix.length)}`;
    } else {
      e164 = `+${s}`;
    }
  }
  return /^\+[1-9]\d{6,14}$/.test(e164) ? e164 : null;
}
