import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli, spawnCli } from './run-cli';

/** a local Graph API: records each request and answers with `answer` */
interface Seen { method: string; url: string; authorization: string; contentType: string; body: string }
let seen: Seen[] = [];
let answer: { status: number; body: string } = { status: 200, body: '{"success":true}' };
let server: Server;
let graphUrl = '';
const TOKEN = 'EAAG-test-token-9f8e7d6c5b4a';

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((done) => {
    let text = '';
    req.setEncoding('utf8').on('data', (d: string) => (text += d)).on('end', () => done(text));
  });
}

beforeAll(async () => {
  server = createServer((req, res) => {
    void readBody(req).then((body) => {
      seen.push({
        method: req.method ?? '', url: req.url ?? '', body,
        authorization: req.headers.authorization ?? '', contentType: req.headers['content-type'] ?? '',
      });
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  graphUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((done) => server.close(() => done())));
beforeEach(() => {
  seen = [];
  answer = { status: 200, body: '{"success":true}' };
});

const env = () => ({ WA_GRAPH_TOKEN: TOKEN, WA_GRAPH_URL: graphUrl });
const noToken = (r: { stdout: string; stderr: string }) => {
  expect(r.stdout).not.toContain(TOKEN);
  expect(r.stderr).not.toContain(TOKEN);
};

describe('meta configure', () => {
  it('POSTs the exact settings body with the bearer token (real entry, spawned)', async () => {
    const r = await spawnCli([
      'meta', 'configure', '--phone-number-id', '106540352242922', '--hostname', 'sip.example.com',
      '--user-param', 'tgrp=wacall', '--user-param', 'trunk-context=byoc.example.com',
    ], env());
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      method: 'POST', url: '/v21.0/106540352242922/settings', authorization: `Bearer ${TOKEN}`, contentType: 'application/json',
    });
    expect(seen[0]!.body).toBe(
      '{"calling":{"status":"ENABLED","srtp_key_exchange_protocol":"SDES","sip":{"status":"ENABLED","servers":'
      + '[{"hostname":"sip.example.com","port":5061,"request_uri_user_params":{"tgrp":"wacall","trunk-context":"byoc.example.com"}}]}}}',
    );
    expect(JSON.parse(r.stdout)).toEqual({ success: true });
    noToken(r);
  });

  it('leaves out request_uri_user_params when none are given; honours --port, --srtp, --graph-version', async () => {
    const r = await runCli([
      'meta', 'configure', '--phone-number-id', '42', '--hostname', 'gw.example.org', '--port', '5071', '--srtp', 'DTLS', '--graph-version', 'v23.0',
    ], env());
    expect(r.code).toBe(0);
    expect(seen[0]!.url).toBe('/v23.0/42/settings');
    expect(seen[0]!.body).toBe(
      '{"calling":{"status":"ENABLED","srtp_key_exchange_protocol":"DTLS","sip":{"status":"ENABLED","servers":[{"hostname":"gw.example.org","port":5071}]}}}',
    );
  });

  it('takes --srtp in lower case, as numbers[].srtp writes it, and refuses other modes before asking Meta', async () => {
    const r = await runCli(['meta', 'configure', '--phone-number-id', '42', '--hostname', 'gw.example.org', '--srtp', 'dtls'], env());
    expect(r.code).toBe(0);
    expect(JSON.parse(seen[0]!.body).calling.srtp_key_exchange_protocol).toBe('DTLS');
    const bad = await runCli(['meta', 'configure', '--phone-number-id', '42', '--hostname', 'gw.example.org', '--srtp', 'zrtp'], env());
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--srtp must be SDES or DTLS/);
    expect(seen).toHaveLength(1);
  });

  it('prints Meta\'s error body verbatim to stderr and exits 1 on an HTTP error (spawned)', async () => {
    const error = '{"error":{"message":"(#100) Invalid parameter","type":"OAuthException","code":100,"error_subcode":2494010,"fbtrace_id":"AbCdEf123"}}';
    answer = { status: 400, body: error };
    const r = await spawnCli(['meta', 'configure', '--phone-number-id', '42', '--hostname', 'sip.example.com'], env());
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')).toContain(error);
    expect(r.stderr).toContain('HTTP 400');
    noToken(r);
  });

  it('refuses bad arguments with exit 2 before calling Meta', async () => {
    for (const args of [['--hostname', 'sip.example.com'], ['--phone-number-id', '42', '--hostname', 'sip.example.com', '--user-param', 'novalue'],
      ['--phone-number-id', '42', '--hostname', 'sip.example.com', '--port', '99999'], ['--phone-number-id', '+1555', '--hostname', 'x.example']]) {
      const r = await runCli(['meta', 'configure', ...args], env());
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/--(phone-number-id|user-param|port)/);
    }
    expect(seen).toHaveLength(0);
  });
});

describe('meta show', () => {
  const settings = {
    calling: { status: 'ENABLED', sip: { status: 'ENABLED', servers: [{ app_id: 777, hostname: 'sip.example.com', sip_user_password: 'Pw-0nly-Here-31337' }] } },
  };

  it('GETs the settings with credentials and prints the password once, on its labelled line (spawned)', async () => {
    answer = { status: 200, body: JSON.stringify(settings) };
    const r = await spawnCli(['meta', 'show', '--phone-number-id', '42', '--include-sip-credentials'], env());
    expect(r.code).toBe(0);
    expect(seen[0]).toMatchObject({ method: 'GET', url: '/v21.0/42/settings?include_sip_credentials=true', authorization: `Bearer ${TOKEN}` });
    expect(r.stdout).toContain('"hostname": "sip.example.com"');
    const lines = r.stdout.split('\n').filter((l) => l.includes('Pw-0nly-Here-31337'));
    expect(lines).toEqual([
      'sip_user_password for sip.example.com: Pw-0nly-Here-31337  (store it in your secret store; it is not shown again by this tool)',
    ]);
    expect(r.stderr).not.toContain('Pw-0nly-Here-31337');
    noToken(r);
  });

  it('without the flag asks without include_sip_credentials and prints no password, even if one came back', async () => {
    answer = { status: 200, body: JSON.stringify(settings) };
    const r = await runCli(['meta', 'show', '--phone-number-id', '42'], env());
    expect(r.code).toBe(0);
    expect(seen[0]!.url).toBe('/v21.0/42/settings');
    expect(JSON.parse(r.stdout).calling.sip.servers[0].hostname).toBe('sip.example.com');
    expect(r.stdout + r.stderr).not.toContain('Pw-0nly-Here-31337');
  });
});

describe('meta token handling', () => {
  it('missing or blank WA_GRAPH_TOKEN: exit 2, clear message, nothing sent (spawned)', async () => {
    const r = await spawnCli(['meta', 'show', '--phone-number-id', '42'], { WA_GRAPH_URL: graphUrl });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('WA_GRAPH_TOKEN is not set');
    const blank = await runCli(['meta', 'configure', '--phone-number-id', '42', '--hostname', 'a.example'], { WA_GRAPH_TOKEN: '  ', WA_GRAPH_URL: graphUrl });
    expect(blank.code).toBe(2);
    expect(seen).toHaveLength(0);
  });

  it('an unreachable Graph URL: exit 1, the URL is named and the token is not', async () => {
    const closed = createServer();
    await new Promise<void>((done) => closed.listen(0, '127.0.0.1', done));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((done) => closed.close(() => done()));
    const r = await runCli(['meta', 'show', '--phone-number-id', '42', '--include-sip-credentials'], { WA_GRAPH_TOKEN: TOKEN, WA_GRAPH_URL: url });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cannot reach GET ${url}/v21.0/42/settings`);
    noToken(r);
  });
});
