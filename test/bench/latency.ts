/**
 * T1: set-up latency (authenticated INVITE → 200 OK at Meta) of the gateway beside a bare
 * drachtio-srf B2BUA (bare-b2bua.ts, own process, own drachtio-server), interleaved call by call
 * in one run so both see the same machine at the same moments. Order alternates each pair.
 */
import { newSdesKey } from '../support/media/srtp-keys';
import type { MetaPeer } from '../support/sip/meta-peer';
import { metaOffer } from '../support/sdp';
import { TEST_BED } from '../support/servers';
import { call, env, out } from './common';
import { percentile } from './stats';

export const N_LAT = env('BENCH_LATENCY_CALLS', 1000);

async function once(meta: MetaPeer, auth: boolean, sdp: string): Promise<number> {
  const c = await call(meta, auth, sdp);
  await c.bye();
  return c.ms;
}

export async function interleavedLatency(gwMeta: MetaPeer, bareMeta: MetaPeer): Promise<void> {
  const sdp = metaOffer({ ip: TEST_BED.meta.host, port: 40000, keyB64: newSdesKey() });
  for (let i = 0; i < 20; i++) {
    await once(gwMeta, true, sdp); // warm-up of both
    await once(bareMeta, false, sdp);
  }
  const ours: number[] = [];
  const bare: number[] = [];
  for (let i = 0; i < N_LAT; i++) {
    if (i % 2 === 0) {
      ours.push(await once(gwMeta, true, sdp));
      bare.push(await once(bareMeta, false, sdp));
    } else {
      bare.push(await once(bareMeta, false, sdp));
      ours.push(await once(gwMeta, true, sdp));
    }
  }
  const p = (xs: number[], q: number) => percentile(xs, q).toFixed(1).padStart(6);
  const line = (name: string, xs: number[]) => `${name.padEnd(44)} p50 ${p(xs, 50)} ms   p99 ${p(xs, 99)} ms   max ${p(xs, 100)} ms`;
  const added99 = percentile(ours, 99) - percentile(bare, 99);
  out(`T1 set-up latency (INVITE → 200 OK at Meta), ${N_LAT} calls each, interleaved call by call`);
  out(`  ${line('bare drachtio-srf B2BUA (own process), no media', bare)}`);
  out(`  ${line('gateway (own process), media in FreeSWITCH', ours)}`);
  out(`  added: p50 ${(percentile(ours, 50) - percentile(bare, 50)).toFixed(1)} ms, p99 ${added99.toFixed(1)} ms ` +
    `(target ≤ 20 ms p99${N_LAT < 1000 ? '; fewer than 1,000 samples: not a T1 result' : ''}) → ${added99 <= 20 && N_LAT >= 1000 ? 'met' : 'NOT met'}`);
}
