/**
 * T2: calls per second, each held 2 s, media anchored (the peers send no RTP). Short steps
 * (BENCH_CPS_STEPS, BENCH_CPS_SECONDS each) find the highest rate with zero failures; that rate
 * is then held for BENCH_T2_HOLD_SECONDS (default 300: the target's 5 minutes), and if it cannot
 * hold, the next lower one. Each step reports each process's CPU.
 */
import { newSdesKey } from '../support/media/srtp-keys';
import { channelCount } from '../support/esl';
import type { GatewayProcess } from '../support/gateway-process';
import type { MetaPeer } from '../support/sip/meta-peer';
import { metaOffer } from '../support/sdp';
import { TEST_BED } from '../support/servers';
import { call, cpuSeconds, env, out, sleep } from './common';
import { percentile } from './stats';

const CPS_STEPS = (process.env.BENCH_CPS_STEPS ?? '20,25,30,40,60,80,100').split(',').map(Number);
const CPS_SECONDS = env('BENCH_CPS_SECONDS', 20);
const HOLD_SECONDS = env('BENCH_T2_HOLD_SECONDS', 300);

interface Step { started: number; failed: number; reasons: Map<string, number>; setupMs: number[]; lagMs: number; cpu: string }

/** the processes whose CPU each step reports (name → pid), beside this one (the Meta and PBX peers) */
export type BenchPids = Record<string, number>;

/** starts measuring each process's CPU; the function returned gives it as % of one core and ms per call */
function startCpuMeter(pids: BenchPids): (calls: number) => string {
  const self = (): number => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  };
  const read = (): number[] => [...Object.values(pids).map(cpuSeconds), self()];
  const names = [...Object.keys(pids), 'bench peers'];
  const c0 = read();
  const t0 = performance.now();
  return (calls) => {
    const s = (performance.now() - t0) / 1000;
    const c1 = read();
    const used = names.map((n, i) => ({ n, cpu: c1[i]! - c0[i]! }));
    const total = used.reduce((a, u) => a + u.cpu, 0);
    const perCall = (cpu: number): string => (cpu * 1000 / Math.max(1, calls)).toFixed(1);
    return `CPU over ${s.toFixed(0)} s: ${used.map((u) => `${u.n} ${(u.cpu / s * 100).toFixed(0)}% (${perCall(u.cpu)} ms/call)`).join(', ')}; ` +
      `together ${(total / s * 100).toFixed(0)}% of one core, ${perCall(total)} ms per call`;
  };
}

async function cpsStep(meta: MetaPeer, rate: number, seconds: number, pids: BenchPids): Promise<Step> {
  const sdp = metaOffer({ ip: TEST_BED.meta.host, port: 40000, keyB64: newSdesKey() });
  const jobs: Promise<void>[] = [];
  const r: Step = { started: 0, failed: 0, reasons: new Map(), setupMs: [], lagMs: 0, cpu: '' };
  const cpu = startCpuMeter(pids);
  const t0 = Date.now();
  for (let i = 0; i < rate * seconds; i++) {
    const due = t0 + (i * 1000) / rate;
    if (due > Date.now()) await sleep(due - Date.now());
    r.lagMs = Math.max(r.lagMs, Math.round(Date.now() - due)); // the generator's own lateness
    jobs.push(call(meta, true, sdp).then(async (c) => {
      r.setupMs.push(c.ms);
      await sleep(2000);
      await c.bye();
    }).catch((err: Error) => {
      r.failed++;
      const reason = err.message.replace(/CSeq \d+ of \S+/, 'CSeq … of the call'); // one kind, not one per call
      r.reasons.set(reason, (r.reasons.get(reason) ?? 0) + 1);
    }));
  }
  r.started = jobs.length;
  await Promise.all(jobs);
  r.cpu = cpu(r.started);
  return r;
}

function report(rate: number, seconds: number, r: Step): void {
  const reasons = [...r.reasons].map(([m, n]) => `${n}× ${m}`).join('; ');
  out(`  ${String(rate).padStart(4)} cps for ${seconds} s: ${r.started} calls, ${r.failed} failed${reasons ? ` (${reasons})` : ''}; ` +
    `set-up p50 ${percentile(r.setupMs, 50).toFixed(0)} ms, p99 ${percentile(r.setupMs, 99).toFixed(0)} ms; generator late by ≤ ${r.lagMs} ms`);
  out(`       ${r.cpu}`);
}

async function drained(gw: GatewayProcess): Promise<void> {
  const t = TEST_BED.freeswitch;
  for (const wait of [15, 30]) {
    await sleep(15_000); // let an overloaded step drain
    out(`  ${wait} s after: FreeSWITCH channels ${await channelCount(t.host, t.eslPort, t.password)}, gateway calls ${await gw.metricSum('wagw_active_calls')}`);
  }
}

/**
 * Waits until the previous step's calls are all gone (0 FreeSWITCH channels, 0 gateway calls):
 * a hold started on a server still working off an overloaded step measures that step, not itself.
 */
async function quiet(gw: GatewayProcess, timeoutMs: number): Promise<boolean> {
  const t = TEST_BED.freeswitch;
  const t0 = Date.now();
  for (;;) {
    const channels = await channelCount(t.host, t.eslPort, t.password);
    const calls = await gw.metricSum('wagw_active_calls');
    if (channels === 0 && calls === 0) return true;
    if (Date.now() - t0 > timeoutMs) {
      out(`  still ${channels} FreeSWITCH channels and ${calls} gateway calls ${timeoutMs / 1000} s after the last step: the hold starts anyway`);
      return false;
    }
    await sleep(1000);
  }
}

export async function callsPerSecond(gw: GatewayProcess, meta: MetaPeer, pids: BenchPids, comfortNoise: boolean): Promise<void> {
  out(`T2 calls per second, each held 2 s (media anchored; the peers send no RTP; comfort noise toward Meta ${comfortNoise ? 'on' : 'off'}): ` +
    `steps of ${CPS_SECONDS} s, then the best held ${HOLD_SECONDS} s`);
  const passed: number[] = [];
  for (const rate of CPS_STEPS) {
    const r = await cpsStep(meta, rate, CPS_SECONDS, pids);
    report(rate, CPS_SECONDS, r);
    if (r.failed > 0) break;
    passed.push(rate);
    await quiet(gw, 60_000);
  }
  if (passed.length === 0) {
    out(`  no step without failures: T2 NOT met`);
    await drained(gw);
    return;
  }
  // the highest step that passed, held; if it cannot hold, the next lower one (a short step can pass
  // on a server that is slowly falling behind)
  for (const rate of passed.reverse()) {
    const t0 = Date.now();
    const wasQuiet = await quiet(gw, 120_000);
    out(`  ${wasQuiet ? 'quiet (0 channels, 0 calls)' : 'not quiet'} ${((Date.now() - t0) / 1000).toFixed(0)} s after the last step; holding ${rate} cps`);
    const hold = await cpsStep(meta, rate, HOLD_SECONDS, pids);
    report(rate, HOLD_SECONDS, hold);
    out(`  held: ${rate} cps for ${HOLD_SECONDS} s with ${hold.failed} failed → ` +
      `${rate >= 100 && HOLD_SECONDS >= 300 && hold.failed === 0 ? 'T2 met' : 'T2 NOT met'} (target 100 cps for 300 s, 0 failed, 0 channels left)`);
    await drained(gw);
    if (hold.failed === 0) return;
  }
}
