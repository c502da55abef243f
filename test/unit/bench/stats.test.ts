import { describe, expect, it } from 'vitest';
import { checkStreamRates, percentile } from '../../bench/stats';

describe('bench percentile', () => {
  it('takes the nearest rank', () => {
    const xs = Array.from({ length: 1000 }, (_, i) => 1000 - i); // 1000 … 1, unsorted order
    expect(percentile(xs, 50)).toBe(500);
    expect(percentile(xs, 99)).toBe(990);
    expect(percentile(xs, 100)).toBe(1000);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 99)).toBeNaN();
  });
});

describe('bench stream-rate check', () => {
  const at = (sent: number, received: number) => [{ name: 's1', sent, received }];

  it('passes streams at 50 packets per second both ways', () => {
    const r = checkStreamRates(at(100, 90), at(600, 589), 10);
    expect(r.ok).toBe(true);
    expect(r.minSentPps).toBe(50);
    expect(r.minReceivedPps).toBeCloseTo(49.9);
  });

  it('fails a stream whose generator fell behind, and one that received too little', () => {
    const r = checkStreamRates([{ name: 'a', sent: 0, received: 0 }, { name: 'b', sent: 0, received: 0 }],
      [{ name: 'a', sent: 450, received: 500 }, { name: 'b', sent: 500, received: 300 }], 10);
    expect(r.ok).toBe(false);
    expect(r.problems).toEqual(['a: sent 45.0 packets/s (load generator behind)', 'b: received 30.0 packets/s']);
  });

  it('fails when there is nothing to check', () => {
    expect(checkStreamRates([], [], 10).ok).toBe(false);
    expect(checkStreamRates(at(0, 0), at(500, 500), 0).ok).toBe(false);
  });
});
