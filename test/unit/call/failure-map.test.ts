import { describe, expect, it } from 'vitest';
import { mapPbxFailureToMeta } from '../../../src/call/failure-map';
import { CallState, StateMachine } from '../../../src/call/call-state';

describe('PBX failure → Meta', () => {
  it.each([
    [486, 486], [600, 486], [603, 603], [404, 404], [484, 404], [480, 480], [408, 480], [401, 503], [403, 503], [500, 503], [503, 503], [488, 480],
  ])('PBX %i → Meta %i', (pbx, meta) => {
    expect(mapPbxFailureToMeta(pbx).status).toBe(meta);
  });
});

describe('call state machine', () => {
  it('follows the transition table and refuses the rest', () => {
    const seen: string[] = [];
    const sm = new StateMachine((from, to) => seen.push(`${from}>${to}`));
    expect(sm.to(CallState.Answered)).toBe(false);
    expect(sm.to(CallState.Connecting)).toBe(true);
    expect(sm.to(CallState.Ringing)).toBe(true);
    expect(sm.to(CallState.Answered)).toBe(true);
    expect(sm.to(CallState.Ringing)).toBe(false);
    expect(sm.to(CallState.Ending)).toBe(true);
    expect(sm.ending).toBe(true);
    expect(sm.to(CallState.Ending)).toBe(false);
    expect(sm.to(CallState.Ended)).toBe(true);
    expect(seen).toEqual(['admitted>connecting', 'connecting>ringing', 'ringing>answered', 'answered>ending', 'ending>ended']);
  });
});
