import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DigestServer } from '../../../src/auth/digest-server';
import { CallRegistry } from '../../../src/call/registry';
import type { MediaService } from '../../../src/media/types';
import { InviteRouter, type Routing } from '../../../src/sip/invite-router';
import { CallLimits } from '../../../src/sip/limits';
import { MetaAdmission } from '../../../src/sip/meta-admission';
import { MetaContact } from '../../../src/sip/meta-contact';
import { PbxAdmission } from '../../../src/sip/pbx-admission';
import { RateLimitedLog } from '../../../src/util/rate-limited-log';
import { metaConfig, pbxTarget } from '../../support/config-fixtures';
import { FakeMediaSession } from '../../support/fakes/media';
import { FakeRequest, FakeResponse, FakeSignaling } from '../../support/fakes/sip';
import { pbxSdp } from '../../support/sdp';

/**
 * X-WA-Leg-Id is FreeSWITCH's mark on the legs it originates for us: honoured only from a
 * media server's SIP address, ignored (and logged, rate-limited) from anywhere else.
 */
const MEDIA_SERVER = '127.0.0.1';

beforeEach(() => { vi.useFakeTimers(); });
afterEach(() => { vi.useRealTimers(); });

function bed() {
  const lines: { code?: string; msg: string; suppressed?: number }[] = [];
  const log = pino({ level: 'info' }, new Writable({ write(chunk: Buffer, _e, cb) { lines.push(JSON.parse(chunk.toString()) as typeof lines[number]); cb(); } }));
  const claimed: string[] = [];
  const media = new FakeMediaSession();
  const service: MediaService = {
    allocate: () => media,
    claimLeg: (legId) => (claimed.push(legId), legId === 'known-leg'),
    isMediaServerAddress: (a) => a === MEDIA_SERVER,
    healthyCount: () => 1,
    close: async () => undefined,
  };
  const registry = new CallRegistry();
  const digest = new DigestServer({ realm: 'gw.example.com', ttlSeconds: 30 });
  const meta = metaConfig();
  const pbx = pbxTarget({ trust_udp_source: true, business_number: '+12145551869' });
  const number = { number: '+12145551869', sip_password: 'pw', routes: [{ when: {}, pbx: 'main', destination: '1001' }] };
  const routing: Routing = {
    meta,
    metaAdmission: new MetaAdmission({ meta, numbers: [number], pbxs: [pbx], digest }),
    pbxAdmission: new PbxAdmission([pbx], [number], digest),
    metaTls: { pin: async () => ({ address: '157.240.0.10', port: 5061 }) },
    limits: new CallLimits({ max_calls: 0, max_calls_per_number: 1000, max_cps: 0 }, registry),
    session: { sip: new FakeSignaling(), media: { meta_rtp_timeout_seconds: 20, pbx_rtp_timeout_seconds: 0, comfort_noise: true }, registry, cdr: { write: () => undefined, close: async () => undefined }, log },
  };
  const router = new InviteRouter({
    routing: () => routing, media: service, draining: () => false, onRejected: () => undefined,
    metaContact: new MetaContact(), refusals: new RateLimitedLog(log, { intervalMs: 60_000, maxKeys: 100 }), log,
  });
  let seq = 0;
  const invite = (from: string, legId: string) => {
    const req = new FakeRequest('INVITE', 'sip:+12195550714@gw.example.com', {
      headers: { 'Call-ID': `c${++seq}`, From: '<sip:1001@x>;tag=a', To: '<sip:+12195550714@gw.example.com>', CSeq: '1 INVITE', 'X-WA-Leg-Id': legId },
      body: pbxSdp({ ip: from, port: 4000 }), source_address: from,
    });
    const res = new FakeResponse();
    router.handle(req, res);
    return res;
  };
  return { invite, claimed, lines, registry };
}

describe('INVITEs carrying X-WA-Leg-Id', () => {
  it("from a media server: the leg is claimed (481 when nobody waits for it), admission never runs", () => {
    const b = bed();
    expect(b.invite(MEDIA_SERVER, 'known-leg').statuses).toEqual([]);
    expect(b.invite(MEDIA_SERVER, 'stale-leg').statuses).toEqual([481]);
    expect(b.claimed).toEqual(['known-leg', 'stale-leg']);
    expect(b.lines.filter((l) => l.code === 'LEG_ID_NOT_FROM_MEDIA_SERVER')).toEqual([]);
  });

  it('from a stranger: not claimed, 403 from ordinary admission, one log line per source a minute', () => {
    const b = bed();
    for (let i = 0; i < 5; i++) expect(b.invite('198.51.100.7', 'known-leg').final?.status).toBe(403);
    expect(b.claimed).toEqual([]);
    const legLines = b.lines.filter((l) => l.code === 'LEG_ID_NOT_FROM_MEDIA_SERVER');
    expect(legLines.map((l) => l.msg)).toEqual(['X-WA-Leg-Id from an address that is no media server: ignored, the INVITE goes through admission']);
  });

  it('from a configured PBX: not claimed, the call is admitted as the PBX\'s', () => {
    const b = bed();
    const res = b.invite('10.0.0.5', 'known-leg');
    expect(b.claimed).toEqual([]);
    expect(res.final).toBeUndefined();
    expect(b.registry.size).toBe(1);
  });
});
