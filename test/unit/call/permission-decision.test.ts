import { describe, expect, it } from 'vitest';
import { decide, periodWords, requestOutcomeText } from '../../../src/call/permission-decision';
import { parsePermissionState, type PermissionState } from '../../../src/graph/call-permissions';
import { permissionAnswer } from '../../support/graph-api';

const state = (o: Parameters<typeof permissionAnswer>[0]): PermissionState => {
  const s = parsePermissionState(JSON.stringify(permissionAnswer(o)));
  if (typeof s === 'string') throw new Error(s);
  return s;
};

describe('what the call permission state means for an agent call', () => {
  it('start_call allowed: the call goes to Meta, whatever else the state says', () => {
    expect(decide(state({ status: 'temporary', expiresAt: 1745343479 }))).toEqual({ kind: 'allow', permission: 'temporary' });
    expect(decide(state({ status: 'permanent' }))).toEqual({ kind: 'allow', permission: 'permanent' });
  });

  it('no permission: refused in plain words, and whether Meta takes a permission request now', () => {
    const d = decide(state({ status: 'no_permission', startCall: false }));
    expect(d).toEqual({ kind: 'refuse', cause: 'no-call-permission', text: 'the WhatsApp user has not allowed calls from this business number', request: { possible: true } });
    const later = decide(state({ status: 'no_permission', startCall: false, canRequest: false, requestLimits: [{ period: 'PT24H', max: 1, used: 1, liftsAt: 1745622600 }, { period: 'P7D', max: 2, used: 1 }] }));
    expect(later).toMatchObject({ cause: 'no-call-permission', request: { possible: false, from: 1745622600 } });
  });

  it('the start_call limit used up: refused, naming the limit and the time it lifts (UTC)', () => {
    const d = decide(state({ status: 'temporary', startCall: false, startLimit: { max: 10, used: 10, liftsAt: 1745622600 } }));
    expect(d).toMatchObject({ kind: 'refuse', cause: 'call-limit' });
    expect(d.kind === 'refuse' && d.text).toBe('the limit of connected calls from this business number to this WhatsApp user is reached (10 per 24 h); calls are possible again from 2025-04-25 23:10:00 UTC');
  });

  it('a limit Meta gives no lift time for says so; a permission without any used-up limit is "not allowed now"', () => {
    const noTime = decide(state({ status: 'permanent', startCall: false, startLimit: { max: 10, used: 10 } }));
    expect(noTime.kind === 'refuse' && noTime.text).toMatch(/reached \(10 per 24 h\); Meta gives no time when it lifts$/);
    expect(decide(state({ status: 'temporary', startCall: false, startLimit: { max: 10, used: 2 } }))).toMatchObject({ cause: 'call-not-allowed' });
  });

  it('an answer without start_call is left to Meta', () => {
    expect(decide({ status: 'temporary', expiresAt: null, actions: {} })).toEqual({ kind: 'unchecked', why: "no start_call action in Meta's answer" });
  });

  it('words periods and permission request outcomes', () => {
    expect([periodWords('PT24H'), periodWords('P7D'), periodWords('P1D'), periodWords('PT30M')]).toEqual(['24 h', '7 days', '1 day', 'PT30M']);
    expect(requestOutcomeText('sent')).toBe('a call permission request was sent to the user: call again once they accept');
    expect(requestOutcomeText('failed')).toBe('sending a call permission request to the user failed');
    expect(requestOutcomeText({ notNow: 1745622600 })).toBe('Meta takes the next call permission request to this user from 2025-04-25 23:10:00 UTC');
    expect(requestOutcomeText({ notNow: null })).toBe('Meta takes no further call permission request to this user now');
  });
});
