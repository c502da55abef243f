import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FrameClock } from '../../src/testcall/media/frame-clock';

describe('FrameClock', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** a clock of 20 ms frames that records when each frame went out, from its start */
  function recording(maxBurst?: number): { clock: FrameClock; at: number[]; skipped: number[] } {
    const at: number[] = [];
    const skipped: number[] = [];
    const t0 = performance.now();
    const clock = new FrameClock(20, () => at.push(performance.now() - t0) > 0, (n) => skipped.push(n), maxBurst);
    return { clock, at, skipped };
  }

  it('sends a frame at once, then one every 20 ms on the grid of its start', () => {
    const { clock, at } = recording();
    clock.start();
    vi.advanceTimersByTime(100);
    clock.stop();
    expect(at).toEqual([0, 20, 40, 60, 80, 100]);
  });

  it('hold(ms) sends nothing for ms, then the frames that fell due meanwhile at once, and goes on on its grid', () => {
    const { clock, at, skipped } = recording();
    clock.start();
    vi.advanceTimersByTime(40);
    clock.hold(45);
    vi.advanceTimersByTime(80);
    clock.stop();
    expect(at).toEqual([0, 20, 40, 85, 85, 100, 120]);
    expect(skipped).toEqual([]);
  });

  it('a hold longer than maxBurst frames skips the rest and reports them', () => {
    const { clock, at, skipped } = recording(2);
    clock.start();
    clock.hold(100);
    vi.advanceTimersByTime(100);
    clock.stop();
    // due at 100: frames 1-5; two go out, three are skipped
    expect(at).toEqual([0, 100, 100]);
    expect(skipped).toEqual([3]);
  });
});
