import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { configWriter } from '../../support/config-fixtures';
import { GraphApi, permissionAnswer } from '../../support/graph-api';
import { runCli, spawnCli } from './run-cli';

/** `meta permission` and `meta request-permission` against a local Graph API (issue 15, acceptance 6) */
const TOKEN = 'EAAG-cli-permission-token-77';
const CONFIG_TOKEN = 'EAAG-token-from-the-yaml-88';
let graph: GraphApi;
beforeAll(async () => { graph = await GraphApi.start(); });
afterAll(() => graph.close());
beforeEach(() => graph.reset());

const env = () => ({ WA_GRAPH_TOKEN: TOKEN, WA_GRAPH_URL: graph.url });
const noToken = (r: { stdout: string; stderr: string }) => {
  for (const t of [TOKEN, CONFIG_TOKEN]) expect(r.stdout + r.stderr).not.toContain(t);
};

describe('meta permission', () => {
  it('GETs the state for the user (as a wa_id) and prints it, the limits and what an agent call would get (spawned)', async () => {
    graph.answer = () => ({ status: 200, body: permissionAnswer({ status: 'temporary', expiresAt: 1745343479, startCall: false, startLimit: { max: 10, used: 10, liftsAt: 1745622600 } }) });
    const r = await spawnCli(['meta', 'permission', '106540352242922', '+447700900123'], env());
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(graph.seen).toHaveLength(1);
    expect(graph.seen[0]).toMatchObject({ method: 'GET', url: '/v21.0/106540352242922/call_permissions?user_wa_id=447700900123', authorization: `Bearer ${TOKEN}`, body: '' });
    expect(r.stdout.split('\n')).toEqual([
      '+447700900123 from phone number ID 106540352242922:',
      'permission: temporary, expires 2025-04-22 17:37:59 UTC',
      'send_call_permission_request: allowed now',
      '  24 h: 0 of 1 used',
      '  7 days: 1 of 2 used',
      'start_call: not allowed now',
      '  24 h: 10 of 10 used, lifts 2025-04-25 23:10:00 UTC',
      "an agent's call: refused by the gateway (call-limit): the limit of connected calls from this business number to this WhatsApp user is reached (10 per 24 h); calls are possible again from 2025-04-25 23:10:00 UTC",
      '',
    ]);
    noToken(r);
  });

  it("a Graph API error: Meta's body on stderr, exit 1", async () => {
    const error = '{"error":{"message":"(#613) Fetch Call Permission For Consumer Phone Number API Limit Hit","code":613}}';
    graph.answer = () => ({ status: 429, body: error });
    const r = await runCli(['meta', 'permission', '42', '447700900123'], env());
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')).toEqual([error, 'meta permission: the Graph API answered HTTP 429', '']);
    expect(graph.seen[0]!.url).toBe('/v21.0/42/call_permissions?user_wa_id=447700900123');
  });

  it('bad operands: exit 2, nothing sent', async () => {
    for (const args of [['42'], ['42', 'nobody'], ['+442071230000', '+447700900123'], ['x42', '+447700900123']]) {
      const r = await runCli(['meta', 'permission', ...args], env());
      expect(r.code, args.join(' ')).toBe(2);
    }
    expect((await runCli(['meta', 'permission', '+442071230000', '+447700900123'], env())).stderr).toContain('a business number needs --config FILE');
    expect(graph.seen).toHaveLength(0);
  });
});

describe('meta request-permission', () => {
  it('POSTs the interactive call permission request with --text (spawned)', async () => {
    graph.answer = () => ({ status: 200, body: { messaging_product: 'whatsapp', contacts: [{ input: '+447700900123', wa_id: '447700900123' }], messages: [{ id: 'wamid.HBgL' }] } });
    const r = await spawnCli(['meta', 'request-permission', '106540352242922', '+447700900123', '--text', 'May we call you about order 1234?'], env());
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(graph.seen).toHaveLength(1);
    expect(graph.seen[0]).toMatchObject({ method: 'POST', url: '/v21.0/106540352242922/messages', authorization: `Bearer ${TOKEN}`, contentType: 'application/json' });
    expect(graph.seen[0]!.body).toBe('{"messaging_product":"whatsapp","recipient_type":"individual","to":"+447700900123","type":"interactive",'
      + '"interactive":{"type":"call_permission_request","action":{"name":"call_permission_request"},"body":{"text":"May we call you about order 1234?"}}}');
    expect(r.stdout).toContain('"id": "wamid.HBgL"');
    expect(r.stdout).toContain('call permission request sent to +447700900123');
    noToken(r);
  });

  it("with --config and the business number: the YAML's phone number ID, token, Graph URL, version and text", async () => {
    const file = configWriter('wa-gw-cli-permission-')('gw.yaml', `
drachtio: { secret_env: DR_PW }
freeswitch: [{ host: 127.0.0.1, secret_env: FS_PW }]
meta: { hostname: sip.example.com }
numbers:
  - number: "+442071230000"
    sip_password_env: META_PW
    pbx: main
    destination: "1001"
    call_permissions:
      phone_number_id: "555000111"
      token_env: YAML_GRAPH_TOKEN
      graph_url: ${graph.url}
      graph_version: v23.0
      request_text: "Allow us to call you so we can support you with your order."
pbxs:
  - { name: main, host: 10.0.0.5 }
`);
    const cfgEnv = { DR_PW: 'd', FS_PW: 'f', META_PW: 'm', YAML_GRAPH_TOKEN: CONFIG_TOKEN };
    graph.answer = () => ({ status: 200, body: { messages: [{ id: 'wamid.Y' }] } });
    const r = await runCli(['meta', 'request-permission', '+442071230000', '+447700900123', '--config', file], cfgEnv);
    expect(r.code).toBe(0);
    expect(graph.seen[0]).toMatchObject({ method: 'POST', url: '/v23.0/555000111/messages', authorization: `Bearer ${CONFIG_TOKEN}` });
    expect(JSON.parse(graph.seen[0]!.body)).toMatchObject({ to: '+447700900123', interactive: { body: { text: 'Allow us to call you so we can support you with your order.' } } });
    graph.answer = () => ({ status: 200, body: permissionAnswer({ status: 'no_permission', startCall: false }) });
    const p = await runCli(['meta', 'permission', '+442071230000', '447700900123', '--config', file], cfgEnv);
    expect(p.code).toBe(0);
    expect(graph.seen[1]).toMatchObject({ method: 'GET', url: '/v23.0/555000111/call_permissions?user_wa_id=447700900123', authorization: `Bearer ${CONFIG_TOKEN}` });
    expect(p.stdout).toContain("an agent's call: refused by the gateway (no-call-permission): the WhatsApp user has not allowed calls from this business number");
    noToken(r);
    noToken(p);
  });

  it("Meta's refusal (its request limit): the body on stderr, exit 1", async () => {
    const error = '{"error":{"message":"Call Permission Request Limit Hit","code":138009}}';
    graph.answer = () => ({ status: 400, body: error });
    const r = await runCli(['meta', 'request-permission', '42', '+447700900123'], env());
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')).toEqual([error, 'meta request-permission: the Graph API answered HTTP 400', '']);
    // without --text (and without --config) the default body goes out
    expect(JSON.parse(graph.seen[0]!.body)).toMatchObject({ interactive: { body: { text: 'We would like to call you on WhatsApp. May we?' } } });
  });
});
