import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, copyFileSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { delimiter, join, resolve } from 'node:path';

/**
 * Finds and runs the real servers for the integration suite: drachtio-server and
 * FreeSWITCH, on loopback, with the project's own config from docker/ (ports and
 * addresses overridden for the test bed). Binaries come from DRACHTIO_BIN /
 * FREESWITCH_BIN, else PATH, else the usual install locations.
 */

export const ROOT = resolve(__dirname, '../..');
export const RUN_DIR = join(ROOT, '.test-run');

export const TEST_BED = {
  drachtio: { adminHost: '127.0.0.1', adminPort: 19022, secret: 'test-drachtio-secret', sipHost: '127.0.0.1', tlsPort: 15061, udpPort: 15060 },
  freeswitch: { host: '127.0.0.1', sipPort: 15080, eslPort: 18021, password: 'test-esl-secret', rtpStart: 31000, rtpEnd: 31999 },
  meta: { host: '127.0.0.10', listenPort: 15071, strangerHost: '127.0.0.11' },
  pbx: { host: '127.0.0.20', port: 15062, lockedHost: '127.0.0.22', strangerHost: '127.0.0.21' },
  gatewayHostname: 'gw.test',
} as const;

export type DrachtioBed = { adminHost: string; adminPort: number; secret: string; sipHost: string; tlsPort: number; udpPort: number };
export type FreeswitchBed = { host: string; sipPort: number; eslPort: number; password: string; rtpStart: number; rtpEnd: number };

/** where the test bed's FreeSWITCH sends HEP when capture is on, and the capture id it sends */
export const FS_HEP_PORT = 19061;
export const FS_HEP_ID = 102;

/** a second pair of servers, for tests that stop and restart them */
export const SPARE_BED = {
  drachtio: { ...TEST_BED.drachtio, adminPort: 19122, tlsPort: 15161, udpPort: 15160 } as DrachtioBed,
  freeswitch: { ...TEST_BED.freeswitch, sipPort: 15180, eslPort: 18121, rtpStart: 33000, rtpEnd: 33999 } as FreeswitchBed,
};

function isExecutable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function findBinary(envVar: string, name: string, extra: string[]): string | null {
  const fromEnv = process.env[envVar];
  if (fromEnv) return isExecutable(fromEnv) ? fromEnv : null;
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const p of [...dirs.map((d) => join(d, name)), ...extra]) if (isExecutable(p)) return p;
  return null;
}

export function findServers(): { drachtio: string | null; freeswitch: string | null } {
  return {
    drachtio: findBinary('DRACHTIO_BIN', 'drachtio', ['/usr/local/bin/drachtio']),
    freeswitch: findBinary('FREESWITCH_BIN', 'freeswitch', ['/usr/local/freeswitch/bin/freeswitch']),
  };
}

export function waitForPort(host: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolveP, reject) => {
    const attempt = () => {
      const sock = connect({ host, port });
      sock.once('connect', () => {
        sock.destroy();
        resolveP();
      });
      sock.once('error', () => {
        sock.destroy();
        if (Date.now() > deadline) reject(new Error(`nothing listening on ${host}:${port} after ${timeoutMs} ms`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

export interface Running {
  proc: ChildProcess;
  logFile: string;
  stop(): Promise<void>;
}

/** SIGKILL, as a crash would, and wait for the exit (nothing if it has exited already) */
export async function killNow(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const gone = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGKILL');
  await gone;
}

function run(cmd: string, args: string[], name: string, env: NodeJS.ProcessEnv = process.env): Running {
  mkdirSync(join(RUN_DIR, 'logs'), { recursive: true });
  const logFile = join(RUN_DIR, 'logs', `${name}.log`);
  const fd = openSync(logFile, 'w');
  const proc = spawn(cmd, args, { stdio: ['ignore', fd, fd], env });
  return {
    proc,
    logFile,
    stop: () =>
      new Promise((res) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return res();
        const kill = setTimeout(() => proc.kill('SIGKILL'), 5000);
        proc.once('exit', () => {
          clearTimeout(kill);
          res();
        });
        proc.kill('SIGTERM');
      }),
  };
}

export interface TlsFiles { key: string; cert: string; chain: string }

/** the test bed's drachtio-server also takes Meta over IPv6 (ipv6-call.test.ts): its TLS port on ::1 */
export const IPV6_TLS_CONTACT = (d: DrachtioBed = TEST_BED.drachtio) => ['--contact', `sips:[::1]:${d.tlsPort};transport=tls`];

export async function startDrachtio(bin: string, tls: TlsFiles, d: DrachtioBed = TEST_BED.drachtio, name = 'drachtio', extraArgs: string[] = []): Promise<Running> {
  const args = [
    '-f', join(ROOT, 'docker/drachtio/drachtio.conf.xml'),
    '--address', d.adminHost, '--port', String(d.adminPort), '--secret', d.secret,
    // udp/tcp first: sofia takes the first contact as its default transport for sip: URIs
    '--contact', `sip:${d.sipHost}:${d.udpPort};transport=udp,tcp`,
    '--contact', `sips:${d.sipHost}:${d.tlsPort};transport=tls`,
    '--key-file', tls.key, '--cert-file', tls.cert, '--chain-file', tls.chain,
    '--loglevel', process.env.DRACHTIO_LOGLEVEL ?? 'info', '--sofia-loglevel', process.env.DRACHTIO_SOFIA_LOGLEVEL ?? '3', '--stdout',
    ...extraArgs,
  ];
  const r = run(bin, args, name);
  await waitForPort(d.adminHost, d.adminPort, 15_000);
  return r;
}

/** the `opus_*` and `media_*` variables docker/freeswitch/vars.xml sets */
export function shippedMediaVars(): Record<string, string> {
  const xml = readFileSync(join(ROOT, 'docker/freeswitch/vars.xml'), 'utf8');
  return Object.fromEntries([...xml.matchAll(/cmd="set" data="((?:opus|media)_[a-z_]+)=([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
}

/** FreeSWITCH with docker/freeswitch/freeswitch.xml and a vars.xml for the test bed */
export async function startFreeswitch(bin: string, f: FreeswitchBed = TEST_BED.freeswitch, name = 'freeswitch'): Promise<Running> {
  const base = join(RUN_DIR, name);
  const dirs = ['conf', 'log', 'db', 'run', 'temp', 'cache', 'sounds'].map((d) => join(base, d));
  for (const d of dirs) mkdirSync(d, { recursive: true });
  const [conf, log, db, runDir, temp, cache, sounds] = dirs as [string, string, string, string, string, string, string];
  for (const f of ['freeswitch.xml', 'media-profile.xml']) copyFileSync(join(ROOT, 'docker/freeswitch', f), join(conf, f));
  const vars: Record<string, string | number> = {
    log_level: 'info', sip_ip: f.host, sip_port: f.sipPort, rtp_ip: f.host, ext_rtp_ip: f.host,
    // the IPv6 profile (legs answering an IPv6 offer): SIP on the next-but-one port, RTP on ::1
    sip_port_ipv6: f.sipPort + 2, rtp_ip_v6: '::1', ext_rtp_ip_v6: '::1',
    rtp_start_port: f.rtpStart, rtp_end_port: f.rtpEnd, esl_ip: f.host, esl_port: f.eslPort, esl_password: f.password,
    gateway_cidr: '127.0.0.0/8', max_sessions: 2000, sessions_per_second: 500, sounds_dir: sounds,
    // the media settings users run (SPEC T3, README "Benchmark"), from docker/freeswitch/vars.xml itself
    ...shippedMediaVars(),
    // HEP to a test's receiver; off until a test turns it on (`sofia global capture on`, homer-capture.test.ts)
    sip_capture: 'no', capture_server: `udp:127.0.0.1:${FS_HEP_PORT};hep=3;capture_id=${FS_HEP_ID}`,
    // the bench tries other settings: FS_VARS="opus_complexity=2,opus_fec=0" (';' between them when a value has commas)
    ...Object.fromEntries((process.env.FS_VARS ?? '').split(process.env.FS_VARS?.includes(';') ? ';' : ',').filter(Boolean).map((kv) => kv.split('=') as [string, string])),
  };
  writeFileSync(
    join(conf, 'vars.xml'),
    `<include>\n${Object.entries(vars).map(([k, v]) => `  <X-PRE-PROCESS cmd="set" data="${k}=${v}"/>`).join('\n')}\n</include>\n`,
  );
  const args = ['-nf', '-nc', '-nonat', '-conf', conf, '-log', log, '-db', db, '-run', runDir, '-temp', temp, '-cache', cache, '-sounds', sounds];
  const r = run(bin, args, name);
  await waitForPort(f.host, f.eslPort, 60_000);
  return r;
}
