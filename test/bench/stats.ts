/**
 * Pure helpers of the bench: percentiles, and the check that every media stream of the load
 * ran at its packet rate (so an overloaded load generator cannot pass for a fast FreeSWITCH).
 */

/** the p-th percentile (nearest rank) of xs; NaN for no samples */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export interface StreamCount {
  name: string;
  sent: number;
  received: number;
}

export interface RateCheck {
  ok: boolean;
  /** the lowest per-stream rates seen, packets per second */
  minSentPps: number;
  minReceivedPps: number;
  /** one line per stream below the rate */
  problems: string[];
}

/**
 * Counts of packets sent and received per stream over `seconds`: every stream must have sent
 * and received at least `pps * (1 - tolerance)` packets per second.
 */
export function checkStreamRates(before: readonly StreamCount[], after: readonly StreamCount[], seconds: number, pps = 50, tolerance = 0.02): RateCheck {
  const floor = pps * (1 - tolerance);
  const problems: string[] = [];
  let minSentPps = Infinity;
  let minReceivedPps = Infinity;
  if (before.length !== after.length || before.length === 0 || !(seconds > 0)) {
    return { ok: false, minSentPps: NaN, minReceivedPps: NaN, problems: [`no streams to check (${before.length}/${after.length}, ${seconds} s)`] };
  }
  for (let i = 0; i < after.length; i++) {
    const a = after[i]!;
    const b = before[i]!;
    const sent = (a.sent - b.sent) / seconds;
    const received = (a.received - b.received) / seconds;
    minSentPps = Math.min(minSentPps, sent);
    minReceivedPps = Math.min(minReceivedPps, received);
    if (sent < floor) problems.push(`${a.name}: sent ${sent.toFixed(1)} packets/s (load generator behind)`);
    if (received < floor) problems.push(`${a.name}: received ${received.toFixed(1)} packets/s`);
  }
  return { ok: problems.length === 0, minSentPps, minReceivedPps, problems };
}
