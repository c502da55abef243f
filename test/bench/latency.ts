/**
 * T1: set-up latency (authenticated INVITE → 200 OK at Meta) of the gateway beside a bare
 * drachtio-srf B2BUA (bare-b2bua.ts, own process, own drachtio-server), interleaved call by call
 * in one run so both see the same machine at the same moments. Order alternates each pair.
 * With rtpengine in the bed, a third series: the gateway taking Meta's DTLS-SRTP offer through
 * rtpengine (issue 11), interleaved with the other two. Set-up latency needs only the SIP
 * exchange, so nobody answers rtpengine's ICE checks (the offer's candidate port is unused).
 */
import { newSdesKey } from '../support/media/srtp-keys';
import type { MetaPeer } from '../support/sip/meta-peer';
import { metaOffer } from '../support/sdp';
import { TEST_BED } from '../support/servers';
import { metaDtlsOffer } from '../support/dtls-sdp';
import { call, env, out } from './common';
import { percentile } from './stats';

export const N_LAT = env('BENCH_LATENCY_CALLS', 1000);

async function once(meta: MetaPeer, auth: boolean, sdp: string): Promise<number> {
  const c = await call(meta, auth, sdp);
  await c.bye();
  return c.ms;
}

/** a DTLS offer as Meta makes it; its fingerprint is never checked, since no DTLS runs */
function dtlsOffer(): string {
  const fingerprint = `sha-256 ${Array.from({ length: 32 }, (_, i) => (i * 7 + 3).toString(16).padStart(2, '0').toUpperCase()).join(':')}`;
  return metaDtlsOffer({ candidates: [{ ip: TEST_BED.meta.host, port: 40002 }], ufrag: 'BenchUfrag000001', pwd: 'bench-ice-password-000000', fingerprint, ssrc: 849255537 });
}

export async function interleavedLatency(gwMeta: MetaPeer, bareMeta: MetaPeer, withDtls: boolean): Promise<void> {
  const sdp = metaOffer({ ip: TEST_BED.meta.host, port: 40000, keyB64: newSdesKey() });
  const dtls = dtlsOffer();
  for (let i = 0; i < 20; i++) {
    await once(gwMeta, true, sdp); // warm-up of all
    await once(bareMeta, false, sdp);
    if (withDtls) await once(gwMeta, true, dtls);
  }
  const ours: number[] = [];
  const bare: number[] = [];
  const ourDtls: number[] = [];
  const series = [
    async () => { ours.push(await once(gwMeta, true, sdp)); },
    async () => { bare.push(await once(bareMeta, false, sdp)); },
    ...(withDtls ? [async () => { ourDtls.push(await once(gwMeta, true, dtls)); }] : []),
  ];
  for (let i = 0; i < N_LAT; i++) {
    // each round starts with another series, so none is always first after the previous BYE
    for (let k = 0; k < series.length; k++) await series[(i + k) % series.length]!();
  }
  const p = (xs: number[], q: number) => percentile(xs, q).toFixed(1).padStart(6);
  const line = (name: string, xs: number[]) => `${name.padEnd(44)} p50 ${p(xs, 50)} ms   p99 ${p(xs, 99)} ms   max ${p(xs, 100)} ms`;
  const added99 = percentile(ours, 99) - percentile(bare, 99);
  out(`T1 set-up latency (INVITE → 200 OK at Meta), ${N_LAT} calls each, interleaved call by call`);
  out(`  ${line('bare drachtio-srf B2BUA (own process), no media', bare)}`);
  out(`  ${line('gateway (own process), media in FreeSWITCH', ours)}`);
  if (withDtls) out(`  ${line('gateway, DTLS-SRTP offer through rtpengine', ourDtls)}  (DTLS over SDES: p50 ${(percentile(ourDtls, 50) - percentile(ours, 50)).toFixed(1)} ms, p99 ${(percentile(ourDtls, 99) - percentile(ours, 99)).toFixed(1)} ms)`);
  else out('  gateway, DTLS-SRTP offer: not measured (no rtpengine found: RTPENGINE_BIN, or apt-get install rtpengine-daemon)');
  out(`  added: p50 ${(percentile(ours, 50) - percentile(bare, 50)).toFixed(1)} ms, p99 ${added99.toFixed(1)} ms ` +
    `(target ≤ 20 ms p99${N_LAT < 1000 ? '; fewer than 1,000 samples: not a T1 result' : ''}) → ${added99 <= 20 && N_LAT >= 1000 ? 'met' : 'NOT met'}`);
}
