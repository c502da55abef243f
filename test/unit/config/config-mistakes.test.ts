import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config/load';
import { configWriter } from '../../support/config-fixtures';

/**
 * Configuration that cannot be silently wrong (issue 10): each mistake stops the start with
 * exit code 2 and one line "<file>: <key>: <what is wrong>". Every mistake is checked on the
 * loader; one of each kind also on the real entry point (src/index.ts, spawned), which must
 * never print a secret it read.
 */
const root = resolve(__dirname, '../../..');
const write = configWriter('wa-gw-mistakes-');
const run = promisify(execFile);

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function base(): Doc {
  return {
    http: { port: 0 },
    drachtio: { host: '127.0.0.1', port: 1, secret_env: 'DR_PW' },
    freeswitch: [{ host: '127.0.0.1', port: 2, secret_env: 'FS_PW' }],
    meta: { hostname: 'sip.example.com' },
    numbers: [{ number: '+12145551869', sip_password_env: 'META_PW', pbx: 'main', destination: '1001' }],
    pbxs: [{
      name: 'main', host: '10.0.0.5',
      auth: { username: 'trunk', password_env: 'PBX_PW' },
      inbound_auth: { username: 'pbx-in', password_env: 'PBX_IN_PW' },
    }],
  };
}

/** secrets the base config names; each is long enough that a leak would show in the output */
const ENV: Record<string, string> = {
  DR_PW: 'drachtio-leak-check-1', FS_PW: 'freeswitch-leak-check-2', META_PW: 'meta-leak-check-3',
  PBX_PW: 'pbx-leak-check-4', PBX_IN_PW: 'pbx-in-leak-check-5',
};

const emptyFile = write('empty-secret', '\n');
const missingFile = join(root, '.no-such-secret-file');

interface Mistake {
  what: string;
  edit(d: Doc): void;
  env?: Record<string, string | undefined>;
  /** "<key>: <text>" the error must carry after "<file>: " */
  expected: string;
  /** also run through the real entry point (one of each kind: a process costs a second or more) */
  spawn?: true;
}

const MISTAKES: Mistake[] = [
  { what: 'drachtio names no secret', edit: (d) => { delete d.drachtio.secret_env; }, expected: 'drachtio.secret_env: required: name an environment variable' },
  { what: "drachtio's variable is not set", edit: () => undefined, env: { DR_PW: undefined }, expected: 'drachtio.secret_env: environment variable DR_PW is not set' },
  { what: "drachtio's variable is empty", edit: () => undefined, env: { DR_PW: '' }, expected: 'drachtio.secret_env: environment variable DR_PW is empty', spawn: true },
  { what: 'a media server names no secret (no ClueCon)', edit: (d) => { delete d.freeswitch[0].secret_env; }, expected: 'freeswitch[0].secret_env: required: name an environment variable', spawn: true },
  { what: "a media server's secret file is missing", edit: (d) => { d.freeswitch[0] = { host: '127.0.0.1', port: 2, secret_file: missingFile }; }, expected: `freeswitch[0].secret_file: cannot read a secret from ${missingFile} (ENOENT)` },
  { what: "a media server's secret file is empty", edit: (d) => { d.freeswitch[0] = { host: '127.0.0.1', port: 2, secret_file: emptyFile }; }, expected: `freeswitch[0].secret_file: secret file ${emptyFile} is empty` },
  { what: "a number's SIP password is empty", edit: () => undefined, env: { META_PW: ' ' }, expected: 'numbers[0].sip_password_env: environment variable META_PW is empty' },
  { what: 'a number names no SIP password', edit: (d) => { delete d.numbers[0].sip_password_env; }, expected: 'numbers[0].sip_password_env: required' },
  { what: 'PBX credentials with a username and no password', edit: (d) => { delete d.pbxs[0].auth.password_env; }, expected: 'pbxs[0].auth.password_env: required' },
  { what: "the PBX password's variable is not set", edit: () => undefined, env: { PBX_PW: undefined }, expected: 'pbxs[0].auth.password_env: environment variable PBX_PW is not set' },
  { what: "the PBX's inbound_auth password file is empty", edit: (d) => { d.pbxs[0].inbound_auth = { username: 'pbx-in', password_file: emptyFile }; }, expected: `pbxs[0].inbound_auth.password_file: secret file ${emptyFile} is empty`, spawn: true },
  { what: 'inbound_auth names a password but no username', edit: (d) => { delete d.pbxs[0].inbound_auth.username; }, expected: 'pbxs[0].inbound_auth.username: required: pbxs[0].inbound_auth.password_env is set but no username' },
  { what: 'nonce_ttl_seconds below 1', edit: (d) => { d.meta.nonce_ttl_seconds = 0; }, expected: 'meta.nonce_ttl_seconds: must be a whole number of 1 or more, got 0', spawn: true },
  { what: 'ring_timeout_seconds below 1', edit: (d) => { d.pbxs[0].ring_timeout_seconds = 0; }, expected: 'pbxs[0].ring_timeout_seconds: must be a whole number of 1 or more, got 0', spawn: true },
  { what: 'a PBX given by hostname with no allow_sources', edit: (d) => { d.pbxs[0].host = 'pbx.example.com'; }, expected: 'pbxs[0].allow_sources: required: host pbx.example.com is a name, not an address', spawn: true },
  { what: "Meta's CA bundle cannot be read", edit: (d) => { d.meta.outbound_tls_ca_file = missingFile; }, expected: `meta.outbound_tls_ca_file: cannot read ${missingFile} (ENOENT)` },
  { what: "drachtio-server's CA bundle cannot be read", edit: (d) => { d.drachtio.tls = true; d.drachtio.tls_ca_file = missingFile; }, expected: `drachtio.tls_ca_file: cannot read ${missingFile} (ENOENT)`, spawn: true },
  { what: 'a DTMF payload type FreeSWITCH would never offer', edit: (d) => { d.pbxs[0].dtmf_payload_type = 13; }, expected: 'pbxs[0].dtmf_payload_type: must be a dynamic RTP payload type, 96 to 127, got 13', spawn: true },
  // DTLS-SRTP with Meta through rtpengine (issue 11)
  { what: 'a number in an SRTP mode Meta has not', edit: (d) => { d.numbers[0].srtp = 'zrtp'; }, expected: 'numbers[0].srtp: must be one of the possible values: ["sdes","dtls"]' },
  { what: "rtpengine's ng address without a port", edit: (d) => { d.rtpengine = { address: '127.0.0.1' }; }, expected: 'rtpengine.address: "127.0.0.1": expected host:port of rtpengine\'s ng control port', spawn: true },
  { what: 'an IPv6 ng address without brackets', edit: (d) => { d.rtpengine = { address: '::1:22222' }; }, expected: 'rtpengine.address: "::1:22222": expected host:port' },
  { what: "one of rtpengine's interface names without the other", edit: (d) => { d.rtpengine = { address: '127.0.0.1:22222', meta_interface: 'pub' }; }, expected: 'rtpengine.freeswitch_interface: set both rtpengine.meta_interface and rtpengine.freeswitch_interface, or neither' },
];

function envWith(over: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string | undefined> = { ...ENV, ...over };
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

function fileFor(m: Mistake, i: number): string {
  const d = base();
  m.edit(d);
  return write(`mistake-${i}.yaml`, stringify(d));
}

describe('configuration mistakes stop the start', () => {
  it('the base config is valid: every failure below comes from its one mistake', () => {
    const cfg = loadConfig([write('base.yaml', stringify(base()))], ENV);
    expect(cfg.drachtio.secret).toBe(ENV.DR_PW);
    expect(cfg.freeswitch[0]!.secret).toBe(ENV.FS_PW);
    expect(cfg.pbxs[0]!.inbound_auth).toEqual({ username: 'pbx-in', password: ENV.PBX_IN_PW });
  });

  it.each(MISTAKES.map((m, i) => [m.what, m, i] as const))('loader: %s', (_what, m, i) => {
    const file = fileFor(m, i);
    let err: unknown;
    try {
      loadConfig([file], envWith(m.env));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message.startsWith(`${file}: ${m.expected}`), (err as Error).message).toBe(true);
  });

  it.concurrent.each(MISTAKES.flatMap((m, i) => (m.spawn ? [[m.what, m, i] as const] : [])))('entry point exits 2: %s', async (_what, m, i) => {
    const file = fileFor(m, i);
    const r = await run(process.execPath, ['--require', 'tsx/cjs', join(root, 'src/index.ts')], {
      cwd: root, env: { PATH: process.env.PATH ?? '', WA_GW_CONFIG: file, ...envWith(m.env) }, timeout: 30_000,
    }).then(() => ({ code: 0, stdout: '', stderr: '' }), (e: { code: number; stdout: string; stderr: string }) => e);
    expect(r.code, r.stderr).toBe(2);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]!.startsWith(`wa-sip-gateway: invalid configuration: ${file}: ${m.expected}`), r.stderr).toBe(true);
    expect(r.stdout + r.stderr).not.toMatch(/leak-check/);
  }, 40_000);

  it('blames the file that set the key when several are merged', () => {
    const first = write('first.yaml', stringify(base()));
    const over = write('over.yaml', stringify({ drachtio: { secret_env: 'DR_OTHER' } }));
    expect(() => loadConfig([first, over], ENV)).toThrow(`${over}: drachtio.secret_env: environment variable DR_OTHER is not set`);
  });
});
