/** T4: gateway heap per active call after a forced GC, and after the calls end (round by round). */
import { newSdesKey } from '../support/media/srtp-keys';
import type { GatewayProcess } from '../support/gateway-process';
import type { MetaPeer } from '../support/sip/meta-peer';
import { metaOffer } from '../support/sdp';
import { TEST_BED } from '../support/servers';
import { call, env, out, sleep } from './common';

const N_HEAP = env('BENCH_HEAP_CALLS', 100);
const N_HEAP_ROUNDS = env('BENCH_HEAP_ROUNDS', 3);

/** the gateway's used heap after a full GC (SIGUSR2, see gc-on-signal.cjs) */
async function heapAfterGc(gw: GatewayProcess): Promise<number> {
  gw.signal('SIGUSR2');
  await sleep(500);
  return gw.metric('wagw_nodejs_heap_size_used_bytes');
}

export async function heapPerCall(gw: GatewayProcess, meta: MetaPeer): Promise<void> {
  const sdp = metaOffer({ ip: TEST_BED.meta.host, port: 40000, keyB64: newSdesKey() });
  // warm-up: code paths compiled and caches filled before the baseline
  for (let i = 0; i < 20; i++) await (await call(meta, true, sdp)).bye();
  const heap0 = await heapAfterGc(gw);
  const mb = (b: number) => `${(b / 1e6).toFixed(2)} MB`;
  // rounds: a leak would show as a heap that grows round after round once the calls ended
  for (let round = 1; round <= N_HEAP_ROUNDS; round++) {
    const held: (() => Promise<void>)[] = [];
    for (let i = 0; i < N_HEAP; i++) held.push((await call(meta, true, sdp)).bye);
    await sleep(2000);
    const heapHeld = await heapAfterGc(gw);
    for (const b of held) await b();
    await sleep(3000);
    const heapAfter = await heapAfterGc(gw);
    out(`T4 round ${round}, heap after GC: ${mb(heap0)} idle, ${mb(heapHeld)} with ${N_HEAP} calls ` +
      `→ ${((heapHeld - heap0) / N_HEAP / 1024).toFixed(1)} kB per call (target ≤ 50 kB); ${mb(heapAfter)} after they ended ` +
      `(${((heapAfter - heap0) / 1024).toFixed(0)} kB above idle)`);
  }
}
