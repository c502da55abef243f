import type { Server } from 'node:http';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttp } from '../../src/http/server';
import type { MediaAdmin } from '../../src/http/media-admin';

/** The HTTP API's media-server drain (issue 13) against a stand-in for the media service. */
describe('HTTP API: media servers', () => {
  const state = new Map([['10.0.0.5:8021', false], ['[::1]:8021', false]]);
  const admin: MediaAdmin = {
    servers: () => [...state].map(([server, drained]) => ({ server, connected: true, drained, legs: 2, stuck: 0 })),
    drain: (server, drained) => (state.has(server) ? (state.set(server, drained), true) : false),
  };
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = await startHttp('127.0.0.1', 0, { metrics: new Registry(), ready: () => ({ ready: true, drachtio: true, mediaServers: 2, draining: false, activeCalls: 0 }), media: admin });
    const a = server.address();
    base = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('drains a server by its host:port and resumes it', async () => {
    const r = await fetch(`${base}/media-servers/${encodeURIComponent('10.0.0.5:8021')}/drain`, { method: 'POST' });
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ server: '10.0.0.5:8021', connected: true, drained: true, legs: 2, stuck: 0 });
    const list = await (await fetch(`${base}/media-servers`)).json() as { server: string; drained: boolean }[];
    expect(list.map((s) => [s.server, s.drained])).toEqual([['10.0.0.5:8021', true], ['[::1]:8021', false]]);
    await fetch(`${base}/media-servers/${encodeURIComponent('10.0.0.5:8021')}/resume`, { method: 'POST' });
    expect(state.get('10.0.0.5:8021')).toBe(false);
  });

  it('answers 404 for a server not in the config, 405 for a GET that would drain', async () => {
    const unknown = await fetch(`${base}/media-servers/${encodeURIComponent('10.9.9.9:8021')}/drain`, { method: 'POST' });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { servers: string[] }).servers).toEqual(['10.0.0.5:8021', '[::1]:8021']);
    const get = await fetch(`${base}/media-servers/${encodeURIComponent('[::1]:8021')}/drain`);
    expect(get.status).toBe(405);
    expect(state.get('[::1]:8021')).toBe(false);
  });
});
