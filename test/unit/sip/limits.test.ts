import { describe, expect, it } from 'vitest';
import { CallRegistry } from '../../../src/call/registry';
import { CallLimits } from '../../../src/sip/limits';

function registryWith(numbers: string[]): CallRegistry {
  const r = new CallRegistry();
  numbers.forEach((n, i) => r.add({ id: String(i), direction: 'user-initiated', businessNumber: n, mediaServer: () => null, end: async () => undefined }));
  return r;
}

describe('call limits', () => {
  it('refuses past max_calls and max_calls_per_number', () => {
    const r = registryWith(['+1', '+1', '+2']);
    expect(new CallLimits({ max_calls: 3, max_calls_per_number: 0, max_cps: 0 }, r).check('+3')?.code).toBe('LIMIT_CALLS');
    expect(new CallLimits({ max_calls: 0, max_calls_per_number: 2, max_cps: 0 }, r).check('+1')?.code).toBe('LIMIT_NUMBER');
    expect(new CallLimits({ max_calls: 0, max_calls_per_number: 2, max_cps: 0 }, r).check('+2')).toBeNull();
  });

  it('lets max_cps calls through per second, then the next second more', () => {
    let now = 1000;
    const l = new CallLimits({ max_calls: 0, max_calls_per_number: 0, max_cps: 2 }, registryWith([]), () => now);
    expect([l.check('+1'), l.check('+1'), l.check('+1')].map((x) => x?.code ?? 'ok')).toEqual(['ok', 'ok', 'LIMIT_CPS']);
    now += 1000;
    expect(l.check('+1')).toBeNull();
  });
});
