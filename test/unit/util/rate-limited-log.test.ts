import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { OVERFLOW_SOURCE, RateLimitedLog } from '../../../src/util/rate-limited-log';

interface Line { level: number; msg: string; source?: string; reason?: string; suppressed?: number; callId?: string }

function capture(): { log: pino.Logger; lines: Line[] } {
  const lines: Line[] = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => { lines.push(JSON.parse(s) as Line); } });
  return { log, lines };
}

const MINUTE = 60_000;

describe('rate-limited log', () => {
  beforeEach(() => { vi.useFakeTimers(); });
  afterEach(() => { vi.useRealTimers(); });

  it('logs the first event of a source and reason at once, counts the rest of the interval, and reports the count when it ends', () => {
    const { log, lines } = capture();
    const rl = new RateLimitedLog(log, { intervalMs: MINUTE, maxKeys: 100 });
    for (let i = 0; i < 10_000; i++) rl.note('warn', '203.0.113.7', 'SOURCE_NOT_ALLOWED', { code: 'SOURCE_NOT_ALLOWED' }, 'INVITE refused');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, msg: 'INVITE refused', source: '203.0.113.7', reason: 'SOURCE_NOT_ALLOWED' });
    expect(lines[0]!.suppressed).toBeUndefined();

    vi.advanceTimersByTime(MINUTE);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({ level: 40, source: '203.0.113.7', reason: 'SOURCE_NOT_ALLOWED', suppressed: 9_999 });

    // nothing more came: the next interval ends silently and the key is forgotten
    vi.advanceTimersByTime(MINUTE);
    expect(lines).toHaveLength(2);
    expect(rl.size).toBe(0);
    rl.close();
  });

  it('keeps at most one line per key per interval during a continuous flood, each with what it left out', () => {
    const { log, lines } = capture();
    const rl = new RateLimitedLog(log, { intervalMs: MINUTE, maxKeys: 100 });
    // 10 events a second for 5 minutes
    for (let t = 0; t < 5 * MINUTE; t += 100) {
      rl.note('warn', '203.0.113.7', 'STRANGER_REQUEST', {}, 'request dropped');
      vi.advanceTimersByTime(100);
    }
    // one line when it starts, then one per interval that ended: never more than one a minute
    expect(lines.length).toBeLessThanOrEqual(6);
    expect(lines.filter((l) => !l.suppressed)).toHaveLength(1);
    rl.close();
    // nothing is lost: every event is a line of its own or counted in a later one
    const eventLines = lines.filter((l) => l.msg === 'request dropped').length;
    expect(eventLines + lines.reduce((n, l) => n + (l.suppressed ?? 0), 0)).toBe(3000);
  });

  it('keeps sources and reasons apart', () => {
    const { log, lines } = capture();
    const rl = new RateLimitedLog(log, { intervalMs: MINUTE, maxKeys: 100 });
    rl.note('warn', '203.0.113.7', 'SOURCE_NOT_ALLOWED', {}, 'INVITE refused');
    rl.note('warn', '203.0.113.8', 'SOURCE_NOT_ALLOWED', {}, 'INVITE refused');
    rl.note('warn', '203.0.113.7', 'BAD_EXTENSION', {}, 'INVITE refused');
    rl.note('warn', '203.0.113.7', 'SOURCE_NOT_ALLOWED', {}, 'INVITE refused');
    expect(lines.map((l) => `${l.source} ${l.reason}`)).toEqual([
      '203.0.113.7 SOURCE_NOT_ALLOWED', '203.0.113.8 SOURCE_NOT_ALLOWED', '203.0.113.7 BAD_EXTENSION',
    ]);
    rl.close();
  });

  it('an event after the interval is logged with the count of the one before it', () => {
    const { log, lines } = capture();
    const rl = new RateLimitedLog(log, { intervalMs: MINUTE, maxKeys: 100 });
    rl.note('info', '198.51.100.1', 'METHOD_NOT_ALLOWED', {}, 'request refused');
    rl.note('info', '198.51.100.1', 'METHOD_NOT_ALLOWED', {}, 'request refused');
    rl.note('info', '198.51.100.1', 'METHOD_NOT_ALLOWED', {}, 'request refused');
    // the timer has not run yet (an interval of 60 s, the clock at 60 s exactly): the event finds the interval over
    vi.setSystemTime(Date.now() + MINUTE);
    rl.note('info', '198.51.100.1', 'METHOD_NOT_ALLOWED', {}, 'request refused');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({ level: 30, suppressed: 2 });
    rl.close();
  });

  it('logs through the logger it is given (the request\'s ids), summaries through its own', () => {
    const { log, lines } = capture();
    const rl = new RateLimitedLog(log, { intervalMs: MINUTE, maxKeys: 100 });
    rl.note('warn', '203.0.113.7', 'SOURCE_NOT_ALLOWED', {}, 'INVITE refused', log.child({ callId: 'abc@x' }));
    rl.note('warn', '203.0.113.7', 'SOURCE_NOT_ALLOWED', {}, 'INVITE refused', log.child({ callId: 'def@x' }));
    vi.advanceTimersByTime(MINUTE);
    expect(lines[0]!.callId).toBe('abc@x');
    expect(lines[1]!.callId).toBeUndefined();
    expect(lines[1]!.suppressed).toBe(1);
    rl.close();
  });

  it('bounds its memory: past maxKeys, new sources share one key per reason', () => {
    const { log, lines } = capture();
    const rl = new RateLimitedLog(log, { intervalMs: MINUTE, maxKeys: 50 });
    for (let i = 0; i < 5000; i++) rl.note('warn', `10.0.${i >> 8}.${i & 255}`, 'SOURCE_NOT_ALLOWED', {}, 'INVITE refused');
    expect(rl.size).toBe(51);
    expect(lines).toHaveLength(51);
    expect(lines[50]).toMatchObject({ source: OVERFLOW_SOURCE });
    vi.advanceTimersByTime(MINUTE);
    expect(lines[51]).toMatchObject({ source: OVERFLOW_SOURCE, suppressed: 5000 - 51 });
    rl.close();
  });

  it('close() reports what is still suppressed and stops its timer', () => {
    const { log, lines } = capture();
    const rl = new RateLimitedLog(log, { intervalMs: MINUTE, maxKeys: 10 });
    rl.note('warn', '203.0.113.7', 'SOURCE_NOT_ALLOWED', {}, 'INVITE refused');
    rl.note('warn', '203.0.113.7', 'SOURCE_NOT_ALLOWED', {}, 'INVITE refused');
    rl.close();
    expect(lines[1]).toMatchObject({ suppressed: 1 });
    expect(vi.getTimerCount()).toBe(0);
  });
});
