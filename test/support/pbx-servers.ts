import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { fsApi } from './esl';
import { findBinary, ROOT, RUN_DIR, TEST_BED, waitForPort } from './servers';

/**
 * A FreeSWITCH acting as the company PBX, with the recipe's own files
 * (docs/pbx/freeswitch/freeswitch.xml, vars.xml written for the test bed), and a baresip
 * softphone registered to it as 1001 that answers every call and echoes it (baresip's echo
 * module over aubridge), and echoes the calls it dials too (its default player and source are
 * one aubridge device). All on loopback addresses of their own.
 */

export const PBX_BED = {
  ip: '127.0.0.40', phonesPort: 25060, trunkPort: 25070, eslPort: 28021, eslPassword: 'pbx-esl-secret',
  rtpStart: 34000, rtpEnd: 34499, domain: 'pbx.test', phonePassword: 'phone-1001-secret',
  phone: { ip: '127.0.0.41', rtp: '35000-35499' },
} as const;

export function findBaresip(): string | null {
  return findBinary('BARESIP_BIN', 'baresip', ['/usr/bin/baresip']);
}

export interface Process {
  proc: ChildProcess;
  logFile: string;
  stop(): Promise<void>;
}

function start(cmd: string, args: string[], name: string, onLine?: (line: string) => void): Process {
  mkdirSync(join(RUN_DIR, 'logs'), { recursive: true });
  const logFile = join(RUN_DIR, 'logs', `${name}.log`);
  const fd = openSync(logFile, 'w');
  const proc = spawn(cmd, args, { stdio: ['ignore', onLine ? 'pipe' : fd, onLine ? 'pipe' : fd] });
  if (onLine) {
    // both streams through here, so the log is not written at two offsets at once
    let buf = '';
    const take = (d: string) => {
      writeFileSync(logFile, d, { flag: 'a' });
      buf += d.replace(/\r/g, '\n');
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      lines.forEach(onLine);
    };
    proc.stdout?.setEncoding('utf8').on('data', take);
    proc.stderr?.setEncoding('utf8').on('data', take);
  }
  return {
    proc,
    logFile,
    stop: () => new Promise((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
      const kill = setTimeout(() => proc.kill('SIGKILL'), 5000);
      proc.once('exit', () => { clearTimeout(kill); resolve(); });
      proc.kill('SIGTERM');
    }),
  };
}

/** FreeSWITCH with the recipe's freeswitch.xml and the test bed's addresses in vars.xml */
export async function startFreeswitchPbx(bin: string): Promise<Process> {
  const base = join(RUN_DIR, 'freeswitch-pbx');
  const dirs = ['conf', 'log', 'db', 'run', 'temp', 'cache', 'sounds'].map((d) => join(base, d));
  for (const d of dirs) mkdirSync(d, { recursive: true });
  const [conf, log, db, runDir, temp, cache, sounds] = dirs as [string, string, string, string, string, string, string];
  copyFileSync(join(ROOT, 'docs/pbx/freeswitch/freeswitch.xml'), join(conf, 'freeswitch.xml'));
  const p = PBX_BED;
  const vars: Record<string, string | number> = {
    pbx_ip: p.ip, phones_port: p.phonesPort, trunk_port: p.trunkPort, domain: p.domain,
    wa_gateway_ip: TEST_BED.drachtio.sipHost, wa_gateway_port: TEST_BED.drachtio.udpPort,
    rtp_start_port: p.rtpStart, rtp_end_port: p.rtpEnd, esl_port: p.eslPort, esl_password: p.eslPassword,
    phone_password: p.phonePassword, log_level: 'info',
  };
  writeFileSync(join(conf, 'vars.xml'), `<include>\n${Object.entries(vars).map(([k, v]) => `  <X-PRE-PROCESS cmd="set" data="${k}=${v}"/>`).join('\n')}\n</include>\n`);
  const r = start(bin, ['-nf', '-nc', '-nonat', '-conf', conf, '-log', log, '-db', db, '-run', runDir, '-temp', temp, '-cache', cache, '-sounds', sounds], 'freeswitch-pbx');
  await waitForPort('127.0.0.1', p.eslPort, 60_000);
  // the event socket opens before the core takes calls: until then REGISTER gets "503 Maximum Calls In Progress"
  const ready = async () => /is ready/.test(await fsApi('127.0.0.1', p.eslPort, p.eslPassword, 'status').catch(() => ''));
  for (const deadline = Date.now() + 20_000; !(await ready());) {
    if (Date.now() > deadline) {
      await r.stop();
      throw new Error('the FreeSWITCH PBX did not become ready within 20 s');
    }
    await new Promise((res) => setTimeout(res, 100));
  }
  return r;
}

/** a port free for both UDP and TCP on `ip` (SIP listens on both), chosen by the kernel */
export async function freePort(ip: string): Promise<number> {
  for (;;) {
    const tcp = createServer();
    const port = await new Promise<number>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(0, ip, () => resolve((tcp.address() as { port: number }).port));
    });
    const udp = createSocket('udp4');
    const free = await new Promise<boolean>((resolve) => {
      udp.once('error', () => resolve(false));
      udp.bind(port, ip, () => resolve(true));
    });
    await new Promise<void>((r) => tcp.close(() => r()));
    if (free) {
      await new Promise<void>((r) => udp.close(() => r()));
      return port;
    }
    udp.close();
  }
}

/** the phone's SIP and control ports of this run: free ones, so that a phone left behind by another run does not stop this one */
const phonePorts = { sip: 0, ctrl: 0 };

/** baresip registered as 1001; resolves once the PBX has answered its REGISTER 200 */
export async function startBaresip(bin: string): Promise<Process> {
  const dir = join(RUN_DIR, 'baresip');
  mkdirSync(dir, { recursive: true });
  const p = PBX_BED;
  phonePorts.sip = await freePort(p.phone.ip);
  phonePorts.ctrl = await freePort(p.phone.ip);
  writeFileSync(join(dir, 'config'), [
    // net_interface: its SDP names this loopback address, not the host's first interface
    'poll_method epoll', `net_interface ${p.phone.ip}`, `sip_listen ${p.phone.ip}:${phonePorts.sip}`, 'sip_trans_def udp', `rtp_ports ${p.phone.rtp}`,
    // the echo module answers each call and connects its audio to itself through aubridge
    'audio_player aubridge,echo', 'audio_source aubridge,echo',
    // the ring tone of an incoming call goes to a device of its own: on "echo" it would take the call's place in the bridge
    'audio_alert aubridge,alert',
    // and no ringback on a call it dials: menu plays ringback.wav on audio_player (aubridge "echo"), and when the call
    // is answered that player's end stops the echo device the call's player and source have just joined (silence)
    'ringback_disabled yes',
    // ctrl_tcp (with menu's commands) lets the test dial: baresipCommand('dial', ...)
    `ctrl_tcp_listen ${p.phone.ip}:${phonePorts.ctrl}`,
    'module_path /usr/lib/baresip/modules', 'module g711.so', 'module aubridge.so', 'module_app account.so', 'module_app echo.so',
    'module_app menu.so', 'module_app ctrl_tcp.so', '',
  ].join('\n'));
  writeFileSync(join(dir, 'accounts'), `<sip:1001@${p.domain}>;auth_pass=${p.phonePassword};outbound="sip:${p.ip}:${p.phonesPort}";regint=300\n`);
  let registered: () => void = () => undefined;
  let failed: (e: Error) => void = () => undefined;
  const done = new Promise<void>((resolve, reject) => { registered = resolve; failed = reject; });
  const r = start(bin, ['-f', dir], 'baresip', (line) => {
    if (/1001@.*200 OK/.test(line)) registered();
    else if (/1001@.*\b(40[13]|403|404|408|503)\b/.test(line)) failed(new Error(`baresip could not register: ${line}`));
  });
  r.proc.once('exit', (code) => failed(new Error(`baresip exited (${code}) before it registered`)));
  const timer = setTimeout(() => failed(new Error('baresip did not register within 15 s')), 15_000);
  try {
    await done;
  } catch (err) {
    await r.stop(); // never leave a phone behind holding its ports
    throw err;
  } finally {
    clearTimeout(timer);
  }
  return r;
}

/** one command over baresip's ctrl_tcp (netstring JSON); resolves with its response */
export function baresipCommand(command: string, params: string): Promise<{ ok: boolean; data: string }> {
  return new Promise((resolve, reject) => {
    const sock = connect(phonePorts.ctrl, PBX_BED.phone.ip);
    const token = `t${Date.now()}`;
    let buf = '';
    const timer = setTimeout(() => { sock.destroy(); reject(new Error(`baresip ${command}: no response`)); }, 5000);
    sock.once('connect', () => {
      const json = JSON.stringify({ command, params, token });
      sock.write(`${Buffer.byteLength(json)}:${json},`);
    });
    sock.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      for (;;) {
        const m = /^(\d+):/.exec(buf);
        if (!m || buf.length < m[0].length + Number(m[1]) + 1) return;
        const body = buf.slice(m[0].length, m[0].length + Number(m[1]));
        buf = buf.slice(m[0].length + Number(m[1]) + 1);
        const msg = JSON.parse(body) as { response?: boolean; token?: string; ok?: boolean; data?: string };
        if (msg.response && msg.token === token) {
          clearTimeout(timer);
          sock.end();
          resolve({ ok: msg.ok === true, data: msg.data ?? '' });
          return;
        }
      }
    });
    sock.on('error', (err) => { clearTimeout(timer); reject(err); });
  });
}
