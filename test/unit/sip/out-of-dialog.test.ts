import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { OutOfDialogRouter, type OutOfDialogRequest } from '../../../src/sip/out-of-dialog';
import { ALLOW } from '../../../src/sip/request-rules';
import { RateLimitedLog } from '../../../src/util/rate-limited-log';

const META = '31.13.66.215';
const STRANGER = '203.0.113.9';

function bed() {
  const lines: { msg: string; reason?: string; source?: string; suppressed?: number }[] = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => { lines.push(JSON.parse(s) as (typeof lines)[number]); } });
  const refused: [string, number | null][] = [];
  const refusals = new RateLimitedLog(log, { intervalMs: 60_000, maxKeys: 100 });
  const router = new OutOfDialogRouter({ trusted: (a) => a === META, onRefused: (c, s) => refused.push([c, s]), refusals, log });
  return { router, lines, refused, refusals };
}

function request(method: string, source: string, uri = 'sip:gw.test', headers: Record<string, string> = {}): OutOfDialogRequest {
  const lower = Object.fromEntries(Object.entries({ 'call-id': 'c1@x', ...headers }).map(([k, v]) => [k.toLowerCase(), v]));
  return { method, uri, protocol: 'udp', source_address: source, source_port: 5060, get: (n) => lower[n.toLowerCase()] };
}

function response() {
  const sent: { status: number; reason: string; headers: Record<string, string> }[] = [];
  return {
    sent,
    res: {
      finalResponseSent: false,
      send(status: number, reason: string, opts?: { headers?: Record<string, string> }) {
        sent.push({ status, reason, headers: opts?.headers ?? {} });
        this.finalResponseSent = true;
      },
    },
  };
}

describe('requests outside a dialog', () => {
  it("answers Meta's OPTIONS 200 with Allow", () => {
    const b = bed();
    const r = response();
    b.router.handle(request('OPTIONS', META), r.res);
    expect(r.sent).toEqual([{ status: 200, reason: 'OK', headers: { Allow: ALLOW } }]);
    expect(b.refused).toEqual([]);
  });

  it("answers nothing to a stranger's OPTIONS, REGISTER or MESSAGE; counts and logs them once per source", () => {
    const b = bed();
    for (const m of ['OPTIONS', 'REGISTER', 'MESSAGE', 'OPTIONS']) {
      const r = response();
      b.router.handle(request(m, STRANGER), r.res);
      expect(r.sent).toEqual([]);
    }
    expect(b.refused).toEqual([['STRANGER_REQUEST', null], ['STRANGER_REQUEST', null], ['STRANGER_REQUEST', null], ['STRANGER_REQUEST', null]]);
    expect(b.lines).toHaveLength(1);
    expect(b.lines[0]).toMatchObject({ msg: 'request dropped', source: STRANGER, reason: 'STRANGER_REQUEST' });
    b.refusals.close();
    expect(b.lines[1]).toMatchObject({ suppressed: 3 });
  });

  it('gives Meta the RFC answers: 405 with Allow, 416, 420 with Unsupported, 481, 501', () => {
    const b = bed();
    const cases: [OutOfDialogRequest, number, Record<string, string>][] = [
      [request('REGISTER', META), 405, { Allow: ALLOW }],
      [request('OPTIONS', META, 'nobodyKnowsThisScheme:totallyopaquecontent'), 416, {}],
      [request('OPTIONS', META, 'sip:gw.test', { Require: 'nothingSupportsThis, nothingSupportsThisEither' }), 420, { Unsupported: 'nothingSupportsThis, nothingSupportsThisEither' }],
      [request('INFO', META), 481, {}],
      [request('NEWMETHOD', META), 501, {}],
    ];
    for (const [req, status, headers] of cases) {
      const r = response();
      b.router.handle(req, r.res);
      expect(r.sent).toHaveLength(1);
      expect(r.sent[0]).toMatchObject({ status, headers });
    }
    expect(b.refused.map(([, s]) => s)).toEqual([405, 416, 420, 481, 501]);
    expect(b.lines.map((l) => l.reason)).toEqual(['METHOD_NOT_ALLOWED', 'UNSUPPORTED_URI_SCHEME', 'BAD_EXTENSION', 'NO_DIALOG', 'NOT_IMPLEMENTED']);
    b.refusals.close();
  });

  it('a bug answers 500 and is logged, never thrown into drachtio-srf', () => {
    const b = bed();
    const r = response();
    const broken = { ...request('OPTIONS', META), get: () => { throw new Error('boom'); } };
    expect(() => b.router.handle(broken, r.res)).not.toThrow();
    expect(r.sent.map((s) => s.status)).toEqual([500]);
    expect(b.lines.some((l) => l.msg === 'bug while answering a request outside a dialog')).toBe(true);
    b.refusals.close();
  });
});
