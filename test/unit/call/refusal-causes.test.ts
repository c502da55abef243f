import { describe, expect, it } from 'vitest';
import { metaRefusalCause, warningHeader, warningText } from '../../../src/call/refusal-causes';

describe("Meta's refusals of agent calls, as plain causes", () => {
  it.each([
    // the texts of meta-docs/calling-troubleshooting-errors.md, "SIP errors: business initiated calls"
    ['399 wa.meta.vc "No Approved Call Permission Found: No approved call permission from the recipient"', 'no-call-permission'],
    ['399 wa.meta.vc "No Approved Call Permission Found"', 'no-call-permission'],
    ['399 wa.meta.vc "Business Initiated Connected Call Per Day Limit Hit"', 'call-limit'],
    ['399 wa.meta.vc "SIP server wa.meta.vc from INVITE does not match any SIP server configured for phone number id 1234"', 'sip-domain-mismatch'],
    ['399 wa.meta.vc "The app 777 configured for SIP server example.com is not authorized for phone number id 1234"', 'app-not-authorized'],
    ['399 wa.meta.vc "Duplicate call: there can be only one active between a given business and user account"', 'duplicate-call'],
    ['399 wa.meta.vc "Invalid digest auth response"', 'bad-digest'],
    ['399 wa.meta.vc "Business eligibility payment issue"', 'payment'],
    ['399 wa.meta.vc "SDP Validation Error"', 'bad-sdp'],
    ['399 wa.meta.vc "Asset not found, invalid business phone number"', 'unknown-business-number'],
    ['399 wa.meta.vc "Business-initiated calling is not available for this business account phone number"', 'business-calling-unavailable'],
  ])('%s → %s', (warning, cause) => {
    expect(metaRefusalCause(warning)).toBe(cause);
  });

  it('a Warning we do not know, or none, has no plain cause', () => {
    expect(metaRefusalCause('399 wa.meta.vc "Something new"')).toBeNull();
    expect(metaRefusalCause(undefined)).toBeNull();
  });

  it('builds a Warning whose text is a valid quoted-string, and reads one back', () => {
    const w = warningHeader('sip.example.com', 'say "no"\\ now\r\nplease');
    expect(w).toBe('399 sip.example.com "say \\"no\\"\\\\ now please"');
    expect(warningText(w)).toBe('say "no"\\ now please');
    expect(warningHeader('', 'x')).toBe('399 wa-sip-gateway "x"');
  });
});
