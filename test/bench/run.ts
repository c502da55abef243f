/**
 * `npm run bench`: the gateway on the real drachtio-server and FreeSWITCH, with media anchored,
 * driven by the test bed's Meta (TLS) and PBX peers. Prints:
 *   T1 set-up latency beside a bare drachtio-srf B2BUA, both in processes of their own,
 *      interleaved call by call (latency.ts)
 *   T4 gateway heap per active call, and after the calls ended (heap.ts)
 *   T2 the highest calls-per-second step with zero failures, then that rate held (cps.ts)
 *   T3 FreeSWITCH CPU per Opus↔PCMU call, media both ways at 50 packets/s checked (media.ts)
 * Sizes come from env (see each part and the README's Benchmark section); BENCH_ONLY=T1,T3
 * runs some parts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { makeCerts } from '../support/certs';
import { GatewayProcess } from '../support/gateway-process';
import { pbxSdp } from '../support/sdp';
import { MetaPeer } from '../support/sip/meta-peer';
import { PbxPeer } from '../support/sip/pbx-peer';
import { findRtpengine, RtpengineServer } from '../support/rtpengine';
import { findServers, ROOT, RUN_DIR, SPARE_BED, startDrachtio, startFreeswitch, TEST_BED, type Running } from '../support/servers';
import { callsPerSecond } from './cps';
import { autoAnswer, CLK_TCK, COMFORT_NOISE, gatewayConfig, HTTP_PORT, out, PASSWORD } from './common';
import { heapPerCall } from './heap';
import { interleavedLatency } from './latency';
import { PBX_CODEC, transcodingCpu } from './media';

const ONLY = (process.env.BENCH_ONLY ?? 'T1,T2,T3,T4').split(',');
const BARE_META_PORT = 15171;
/** more node options for the gateway, e.g. BENCH_GATEWAY_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" */
const GATEWAY_NODE_ARGS = (process.env.BENCH_GATEWAY_NODE_ARGS ?? '').split(' ').filter(Boolean);

/** the bare B2BUA's process, once it is connected to its drachtio-server */
async function startBare(): Promise<ChildProcess> {
  const d = SPARE_BED.drachtio;
  const proc = spawn(process.execPath, ['--require', 'tsx/cjs', join(__dirname, 'bare-b2bua.ts')], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'],
    env: { PATH: process.env.PATH ?? '', BARE_TARGET: `sip:1001@${TEST_BED.pbx.host}:${TEST_BED.pbx.port}`,
      BARE_DRACHTIO_HOST: d.adminHost, BARE_DRACHTIO_PORT: String(d.adminPort), BARE_DRACHTIO_SECRET: d.secret },
  });
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('bare B2BUA did not connect')), 20_000);
    proc.stdout!.on('data', (b: Buffer) => {
      if (b.toString().includes('connected')) {
        clearTimeout(t);
        resolve();
      }
    });
    proc.once('exit', () => reject(new Error('bare B2BUA exited')));
  });
  return proc;
}

async function metaPeer(listenPort: number, tlsPort: number, certs: ReturnType<typeof makeCerts>): Promise<MetaPeer> {
  const t = TEST_BED;
  const meta = await MetaPeer.start({ host: t.meta.host, listenPort, cert: certs.meta.cert, key: certs.meta.key,
    gateway: { host: t.drachtio.sipHost, port: tlsPort, servername: t.gatewayHostname, ca: certs.caCert } });
  meta.keepHistory = false;
  await meta.connect();
  return meta;
}

async function main(): Promise<void> {
  const bins = findServers();
  if (!bins.drachtio || !bins.freeswitch) throw new Error('SKIPPED: bench needs drachtio-server and FreeSWITCH (DRACHTIO_BIN / FREESWITCH_BIN or PATH)');
  const dir = join(RUN_DIR, 'bench');
  mkdirSync(dir, { recursive: true });
  const certs = makeCerts(join(RUN_DIR, 'certs'), TEST_BED.gatewayHostname);
  const t = TEST_BED;
  const servers: Running[] = [];
  let gw: GatewayProcess | null = null;
  let bare: ChildProcess | null = null;
  let rtpe: RtpengineServer | null = null;
  // a bench stopped half-way (Ctrl-C, timeout) must not leave its processes behind
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      gw?.proc.kill('SIGKILL');
      bare?.kill('SIGKILL');
      void rtpe?.stop();
      void Promise.allSettled(servers.map((s) => s.stop())).then(() => process.exit(130));
    });
  }
  const peers: { close(): unknown }[] = [];
  try {
    const fs = await startFreeswitch(bins.freeswitch);
    servers.push(fs);
    const drachtio = await startDrachtio(bins.drachtio, certs.gateway);
    servers.push(drachtio);
    const meta = await metaPeer(t.meta.listenPort, t.drachtio.tlsPort, certs);
    peers.push(meta);
    const pbx = await PbxPeer.start(t.pbx.host, t.pbx.port, { host: t.drachtio.sipHost, port: t.drachtio.udpPort });
    peers.push(pbx);
    autoAnswer(pbx, () => pbxSdp({ ip: t.pbx.host, port: 41000 }));
    // T1's DTLS series (issue 11): the gateway's Meta leg through rtpengine, when it is installed
    const rtpeBin = ONLY.includes('T1') ? findRtpengine() : null;
    rtpe = rtpeBin ? await RtpengineServer.start(rtpeBin) : null;
    out(`wa-sip-gateway bench, ${new Date().toISOString()}, CPU clock tick ${CLK_TCK} Hz (getconf CLK_TCK), FS_VARS=${process.env.FS_VARS ?? ''}`);
    gw = GatewayProcess.start(gatewayConfig(dir, join(certs.dir, 'ca.crt'), [PBX_CODEC], rtpe?.address), {
      BENCH_DRACHTIO_SECRET: t.drachtio.secret, BENCH_FS_SECRET: t.freeswitch.password, BENCH_META_PASSWORD: PASSWORD,
    }, HTTP_PORT, 'gateway-bench', ['--expose-gc', '--require', join(__dirname, 'gc-on-signal.cjs'), ...GATEWAY_NODE_ARGS]);
    await gw.readyz(200, 20_000);
    if (ONLY.includes('T1')) {
      servers.push(await startDrachtio(bins.drachtio, certs.gateway, SPARE_BED.drachtio, 'drachtio-bare'));
      bare = await startBare();
      const bareMeta = await metaPeer(BARE_META_PORT, SPARE_BED.drachtio.tlsPort, certs);
      peers.push(bareMeta);
      await interleavedLatency(meta, bareMeta, rtpe !== null);
      bare.kill('SIGTERM');
    }
    if (ONLY.includes('T4')) await heapPerCall(gw, meta);
    if (ONLY.includes('T2')) await callsPerSecond(gw, meta, { FreeSWITCH: fs.proc.pid!, 'drachtio-server': drachtio.proc.pid!, gateway: gw.proc.pid! }, COMFORT_NOISE);
    if (ONLY.includes('T3')) await transcodingCpu(meta, pbx, fs.proc.pid!);
  } finally {
    if (gw && GATEWAY_NODE_ARGS.length) { // a profile (--cpu-prof) is written when the gateway exits by itself
      gw.signal('SIGTERM');
      await gw.exited(30_000).catch(() => undefined);
    }
    await gw?.kill();
    bare?.kill('SIGKILL');
    for (const p of peers) await p.close();
    await rtpe?.stop();
    for (const s of servers.reverse()) await s.stop();
  }
}

main().then(() => process.exit(0), (err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
