import { describe, expect, it } from 'vitest';
import { q850ForCause, q850ForSipStatus, reasonHeader } from '../../../src/call/reason-header';

describe('Reason header on the teardown BYE', () => {
  it('gives each of our end causes its Q.850 cause', () => {
    const cases: [string, number][] = [
      ['bye', 16], ['cancel', 16],
      ['pbx-no-answer', 19], ['meta-no-answer', 19], ['pbx-bye-at-answer', 19],
      ['meta-no-ack', 102], ['pbx-no-ack', 102], ['meta-media-timeout', 102], ['pbx-media-timeout', 102],
      ['media-server-lost', 41], ['drachtio-lost', 41], ['media-error: FreeSWITCH did not originate the leg in time', 41],
      ['answer-failed: socket hang up', 41], ['media-server-ended-pbx-leg: NORMAL_CLEARING', 41],
      ['pbx-486', 17], ['meta-403', 21], ['pbx-404', 1], ['meta-480', 18], ['pbx-503', 41], ['meta-408', 102],
      ['shutdown', 31], ['something-new', 31], ['', 31],
    ];
    for (const [cause, code] of cases) expect([cause, q850ForCause(cause)]).toEqual([cause, code]);
  });

  it('maps SIP final statuses as RFC 3398 does, and unknown ones to 31', () => {
    expect([400, 404, 410, 484, 486, 487, 488, 502, 504, 600, 603, 699].map(q850ForSipStatus))
      .toEqual([41, 1, 22, 28, 17, 31, 88, 38, 102, 17, 21, 31]);
  });

  it('carries the cause code and its fixed name, never our cause text', () => {
    expect(reasonHeader('bye')).toBe('Q.850;cause=16;text="NORMAL_CLEARING"');
    expect(reasonHeader('meta-no-ack')).toBe('Q.850;cause=102;text="RECOVERY_ON_TIMER_EXPIRE"');
    expect(reasonHeader('media-server-lost')).toBe('Q.850;cause=41;text="NORMAL_TEMPORARY_FAILURE"');
    expect(reasonHeader('pbx-no-answer')).toBe('Q.850;cause=19;text="NO_ANSWER"');
  });

  it('stays one safe header whatever the cause string holds', () => {
    const hostile = ['answer-failed: bad "quote"\r\nX-Injected: 1', 'media-error: \u0000\u00ff\u202e<sip:evil>', 'x'.repeat(5000), 'MEDIA-ERROR: "'];
    for (const cause of hostile) {
      const h = reasonHeader(cause);
      expect(h, JSON.stringify(cause)).toMatch(/^Q\.850;cause=\d{1,3};text="[A-Z_]+"$/);
    }
    expect(reasonHeader('MEDIA-ERROR: "')).toBe('Q.850;cause=41;text="NORMAL_TEMPORARY_FAILURE"');
  });
});
