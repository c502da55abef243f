import { Writable } from 'node:stream';
import { createServer } from 'node:net';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CallPermissionGate, type PermissionOutcome } from '../../../src/call/call-permission';
import type { BusinessNumber, CallPermissionConfig } from '../../../src/config/types';
import { RateLimitedLog } from '../../../src/util/rate-limited-log';
import { GraphApi, permissionAnswer } from '../../support/graph-api';

/**
 * The call permission step against a local HTTP server playing the Graph API (loopback):
 * what it asks, how often, and what it makes of the answers, a slow or failing API included.
 */
const TOKEN = 'EAAG-gate-token-5e4d3c2b1a';
let graph: GraphApi;
beforeAll(async () => { graph = await GraphApi.start(); });
afterAll(() => graph.close());
beforeEach(() => graph.reset());

function number(over: Partial<CallPermissionConfig> = {}): BusinessNumber {
  return {
    number: '+442071230000', sip_password: 'pw', routes: [], country_rule: 'refuse',
    call_permissions: {
      phone_number_id: '106540352242922', token: TOKEN, graph_url: graph.url, graph_version: 'v21.0',
      timeout_ms: 1000, cache_seconds: 10, request_permission: false, request_text: 'May we call you?', ...over,
    },
  };
}

function gate(now?: () => number) {
  const lines: string[] = [];
  const log = pino({ level: 'debug' }, new Writable({ write(chunk: Buffer, _e, done) { lines.push(chunk.toString()); done(); } }));
  const checked: string[] = [];
  const requested: string[] = [];
  const g = new CallPermissionGate({
    log, refusals: new RateLimitedLog(log, { intervalMs: 60_000, maxKeys: 100 }),
    events: { checked: (r, why) => checked.push(`${r}:${why}`), requested: (r) => requested.push(r) },
  }, now);
  return { g, lines, checked, requested };
}

const live = () => new AbortController().signal;
const GET_PATH = '/v21.0/106540352242922/call_permissions';
const POST_PATH = '/v21.0/106540352242922/messages';
const answerWith = (body: unknown, status = 200) => { graph.answer = () => ({ status, body }); };

describe('the call permission check: what is asked, and how often', () => {
  it('asks GET call_permissions with the bearer token; the same user again within cache_seconds is answered from the cache', async () => {
    answerWith(permissionAnswer({ status: 'temporary' }));
    const { g, checked, lines } = gate();
    expect(await g.check(number(), '+447700900123', live())).toEqual({ kind: 'allow', permission: 'temporary' });
    expect(await g.check(number(), '+447700900123', live())).toEqual({ kind: 'allow', permission: 'temporary' });
    expect(graph.seen).toHaveLength(1);
    expect(graph.seen[0]).toMatchObject({ method: 'GET', url: `${GET_PATH}?user_wa_id=447700900123`, authorization: `Bearer ${TOKEN}` });
    await g.check(number(), '+447700900999', live());
    expect(graph.to('GET', GET_PATH)).toHaveLength(2);
    expect(checked).toEqual(['allow:temporary', 'allow:temporary', 'allow:temporary']);
    expect(lines.join('')).not.toContain(TOKEN);
  });

  it('concurrent calls to one user share one request', async () => {
    answerWith(permissionAnswer());
    const { g } = gate();
    const all = await Promise.all([1, 2, 3].map(() => g.check(number(), '+447700900123', live())));
    expect(all.map((o) => o.kind)).toEqual(['allow', 'allow', 'allow']);
    expect(graph.seen).toHaveLength(1);
  });

  it('asks again once cache_seconds are over, and sooner when a limit lifts before that', async () => {
    let t = 1_745_600_000_000;
    const { g } = gate(() => t);
    answerWith(permissionAnswer());
    await g.check(number({ cache_seconds: 10 }), '+447700900123', live());
    t += 9_999;
    await g.check(number({ cache_seconds: 10 }), '+447700900123', live());
    expect(graph.seen).toHaveLength(1);
    t += 1;
    await g.check(number({ cache_seconds: 10 }), '+447700900123', live());
    expect(graph.seen).toHaveLength(2);
    // the limit lifts 2 s from now: the refusal is not reused past that
    answerWith(permissionAnswer({ startCall: false, startLimit: { max: 10, used: 10, liftsAt: t / 1000 + 2 } }));
    await g.check(number({ cache_seconds: 10 }), '+447700900555', live());
    t += 2_000;
    await g.check(number({ cache_seconds: 10 }), '+447700900555', live());
    expect(graph.seen).toHaveLength(4);
  });

  it('at most 5 requests a second per business number (Meta\'s limit): the 6th call goes to Meta unchecked', async () => {
    let t = 1_000_000;
    const { g, checked } = gate(() => t);
    answerWith(permissionAnswer());
    const users = ['+447700900001', '+447700900002', '+447700900003', '+447700900004', '+447700900005', '+447700900006'];
    const out = await Promise.all(users.map((u) => g.check(number(), u, live())));
    expect(out.map((o) => o.kind)).toEqual(['allow', 'allow', 'allow', 'allow', 'allow', 'unchecked']);
    expect(out[5]).toMatchObject({ why: 'rate-limited' });
    expect(graph.seen).toHaveLength(5);
    expect(checked.filter((c) => c.startsWith('unchecked'))).toEqual(['unchecked:rate-limited']);
    t += 1000;
    expect(await g.check(number(), '+447700900007', live())).toMatchObject({ kind: 'allow' });
    expect(graph.seen).toHaveLength(6);
  });

  it('forget(): after Meta refused what the check let through, the next call asks again', async () => {
    answerWith(permissionAnswer());
    const { g } = gate();
    await g.check(number(), '+447700900123', live());
    g.forget(number(), '+447700900123');
    await g.check(number(), '+447700900123', live());
    expect(graph.seen).toHaveLength(2);
  });

  it('a number without call_permissions is not checked and nothing is asked', async () => {
    const { g, checked } = gate();
    expect(await g.check({ number: '+442071230000', sip_password: 'pw', routes: [] }, '+447700900123', live())).toEqual({ kind: 'allow', permission: 'not checked' });
    expect(graph.seen).toHaveLength(0);
    expect(checked).toEqual([]);
  });
});

describe('the call permission check: a Graph API that fails leaves the call to Meta', () => {
  it('slow: given up after timeout_ms, unchecked (timeout), with a log line that has no token', async () => {
    graph.answer = () => 'hold';
    const { g, lines, checked } = gate();
    const t0 = Date.now();
    const o = await g.check(number({ timeout_ms: 200 }), '+447700900123', live());
    expect(Date.now() - t0).toBeLessThan(900);
    expect(o).toMatchObject({ kind: 'unchecked', why: 'timeout' });
    expect(checked).toEqual(['unchecked:timeout']);
    const line = JSON.parse(lines.find((l) => l.includes('call permission check failed'))!) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 40, why: 'timeout', business: '+442071230000', source: '106540352242922', reason: 'call-permission-timeout' });
    expect(lines.join('')).not.toContain(TOKEN);
  });

  it.each([
    [500, { error: { message: 'An unknown error occurred', code: 1 } }, 'http-500', '1 An unknown error occurred'],
    [429, { error: { message: 'Fetch Call Permission For Consumer Phone Number API Limit Hit', code: 613 } }, 'http-429', '613 Fetch Call Permission For Consumer Phone Number API Limit Hit'],
    [200, '<html>maintenance</html>', 'bad-answer', 'not JSON'],
    [200, { permission: { status: 'temporary' }, actions: [] }, 'bad-answer', "no start_call action in Meta's answer"],
  ])('HTTP %s %j: unchecked (%s)', async (status, body, why, detail) => {
    answerWith(body, status);
    const { g } = gate();
    expect(await g.check(number(), '+447700900123', live())).toEqual({ kind: 'unchecked', why, detail });
  });

  it('unreachable: unchecked, the URL named', async () => {
    const closed = createServer();
    await new Promise<void>((done) => closed.listen(0, '127.0.0.1', done));
    const port = (closed.address() as { port: number }).port;
    await new Promise<void>((done) => closed.close(() => done()));
    const { g } = gate();
    const o = await g.check(number({ graph_url: `http://127.0.0.1:${port}` }), '+447700900123', live());
    expect(o).toMatchObject({ kind: 'unchecked', why: 'unreachable' });
    expect((o as Extract<PermissionOutcome, { kind: 'unchecked' }>).detail).toContain(`cannot reach GET http://127.0.0.1:${port}/v21.0/106540352242922/call_permissions`);
  });

  it('errors are not cached: the next call asks again', async () => {
    answerWith({ error: { message: 'x', code: 1 } }, 500);
    const { g } = gate();
    await g.check(number(), '+447700900123', live());
    answerWith(permissionAnswer());
    expect(await g.check(number(), '+447700900123', live())).toMatchObject({ kind: 'allow' });
    expect(graph.seen).toHaveLength(2);
  });
});

describe('refusals, and the call permission request', () => {
  const noPermission = (o: Parameters<typeof permissionAnswer>[0] = {}) => permissionAnswer({ status: 'no_permission', startCall: false, ...o });

  it('no permission, requests off: refused in plain words, nothing posted', async () => {
    answerWith(noPermission());
    const { g, checked } = gate();
    expect(await g.check(number(), '+447700900123', live())).toEqual({ kind: 'refuse', cause: 'no-call-permission', text: 'the WhatsApp user has not allowed calls from this business number' });
    expect(graph.to('POST', POST_PATH)).toHaveLength(0);
    expect(checked).toEqual(['refuse:no-call-permission']);
  });

  it('requests on: exactly one well-formed request for concurrent calls; then Meta is asked afresh, and no second request goes out', async () => {
    graph.answer = (r) => (r.method === 'POST' ? { status: 200, body: { messaging_product: 'whatsapp', messages: [{ id: 'wamid.X' }] } } : { status: 200, body: noPermission() });
    const { g, requested, lines } = gate();
    const cfg = number({ request_permission: true, request_text: 'We would like to call you about order 1234.' });
    const [a, b] = await Promise.all([g.check(cfg, '+447700900123', live()), g.check(cfg, '+447700900123', live())]);
    const text = 'the WhatsApp user has not allowed calls from this business number; a call permission request was sent to the user: call again once they accept';
    expect(a).toEqual({ kind: 'refuse', cause: 'no-call-permission', text });
    expect(b).toEqual(a);
    const posts = graph.to('POST', POST_PATH);
    expect(posts).toHaveLength(1);
    expect(posts[0]).toMatchObject({ authorization: `Bearer ${TOKEN}`, contentType: 'application/json' });
    expect(JSON.parse(posts[0]!.body)).toEqual({
      messaging_product: 'whatsapp', recipient_type: 'individual', to: '+447700900123', type: 'interactive',
      interactive: { type: 'call_permission_request', action: { name: 'call_permission_request' }, body: { text: 'We would like to call you about order 1234.' } },
    });
    expect(requested).toEqual(['sent']);
    // the next call asks Meta again (the user may accept at once), and says the request went out
    graph.answer = (r) => (r.method === 'POST' ? { status: 200, body: {} } : { status: 200, body: noPermission({ canRequest: false, requestLimits: [{ period: 'PT24H', max: 1, used: 1, liftsAt: 1745622600 }] }) });
    expect(await g.check(cfg, '+447700900123', live())).toEqual({ kind: 'refuse', cause: 'no-call-permission', text });
    expect(graph.to('GET', GET_PATH)).toHaveLength(2);
    expect(graph.to('POST', POST_PATH)).toHaveLength(1);
    expect(lines.some((l) => l.includes('call permission request sent to the WhatsApp user'))).toBe(true);
  });

  it('requests on, but Meta takes none now: no request, and the agent learns when Meta takes one again', async () => {
    answerWith(noPermission({ canRequest: false, requestLimits: [{ period: 'PT24H', max: 1, used: 1, liftsAt: 1745622600 }, { period: 'P7D', max: 2, used: 1 }] }));
    const { g } = gate();
    const o = await g.check(number({ request_permission: true }), '+447700900123', live());
    expect(o).toEqual({ kind: 'refuse', cause: 'no-call-permission', text: 'the WhatsApp user has not allowed calls from this business number; Meta takes the next call permission request to this user from 2025-04-25 23:10:00 UTC' });
    expect(graph.to('POST', POST_PATH)).toHaveLength(0);
  });

  it('requests on, the request refused by the Graph API: the agent is told it failed', async () => {
    graph.answer = (r) => (r.method === 'POST' ? { status: 400, body: { error: { message: 'Call Permission Request Limit Hit', code: 138009 } } } : { status: 200, body: noPermission() });
    const { g, requested } = gate();
    const o = await g.check(number({ request_permission: true }), '+447700900123', live());
    expect(o).toMatchObject({ cause: 'no-call-permission', text: expect.stringMatching(/; sending a call permission request to the user failed$/) as unknown });
    expect(requested).toEqual(['failed']);
  });

  it('the call abandoned while Meta was asked: no request goes to the user', async () => {
    answerWith(noPermission());
    const { g } = gate();
    const ac = new AbortController();
    const pending = g.check(number({ request_permission: true }), '+447700900123', ac.signal);
    ac.abort();
    expect(await pending).toMatchObject({ kind: 'refuse', cause: 'no-call-permission' });
    expect(graph.to('POST', POST_PATH)).toHaveLength(0);
  });

  it('the start_call limit reached: refused, naming the time it lifts', async () => {
    answerWith(permissionAnswer({ status: 'temporary', startCall: false, startLimit: { max: 10, used: 10, liftsAt: 1745622600 } }));
    const { g } = gate();
    expect(await g.check(number({ request_permission: true }), '+447700900123', live())).toEqual({
      kind: 'refuse', cause: 'call-limit',
      text: 'the limit of connected calls from this business number to this WhatsApp user is reached (10 per 24 h); calls are possible again from 2025-04-25 23:10:00 UTC',
    });
    expect(graph.to('POST', POST_PATH)).toHaveLength(0);
  });
});
