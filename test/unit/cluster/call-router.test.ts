import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Server } from 'node:http';
import { CLUSTER_TAG, instanceTag, legUser, routeRequest, startCallRouter } from '../../../src/cluster/call-router';

/** drachtio-server's question for each new request, as its request handler sends it */
const query = (uriUser: string, method = 'INVITE') => new URLSearchParams({ method, domain: '127.0.0.1', protocol: 'udp', source_address: '127.0.0.1', fromUser: 'x', toUser: 'y', uriUser });

describe('call router', () => {
  it('sends a leg to the instance that originated it, by its Request-URI user', () => {
    expect(routeRequest(query(legUser('gw-a')))).toEqual({ action: 'route', data: { tag: instanceTag('gw-a') } });
    expect(instanceTag('gw-a')).toBe('wa-gw-gw-a');
  });

  it("sends Meta's and the PBX's INVITEs, and anything else, to every instance in turn", () => {
    for (const q of [query('+12145551869'), query('1001'), query('wa-leg'), query('wa-leg-'), query('wa-leg-a/b'), query('', 'OPTIONS')]) {
      expect(routeRequest(q)).toEqual({ action: 'route', data: { tag: CLUSTER_TAG } });
    }
  });

  describe('over HTTP', () => {
    let server: Server;
    let base: string;
    beforeAll(async () => {
      server = await startCallRouter('127.0.0.1', 0, pino({ level: 'silent' }));
      const a = server.address();
      base = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    it('answers drachtio-server with JSON, on any path', async () => {
      const r = await fetch(`${base}/route?${query(legUser('b1')).toString()}`);
      expect(r.headers.get('content-type')).toBe('application/json');
      expect(await r.json()).toEqual({ action: 'route', data: { tag: 'wa-gw-b1' } });
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
    });
  });
});
