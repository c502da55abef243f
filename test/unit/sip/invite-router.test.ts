import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { digestResponse, parseDigestHeader } from '../../../src/auth/digest';
import { DigestServer } from '../../../src/auth/digest-server';
import { CallRegistry } from '../../../src/call/registry';
import type { CdrRecord } from '../../../src/cdr/cdr';
import type { BusinessNumber, PbxTarget } from '../../../src/config/types';
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
import { metaOffer, pbxSdp } from '../../support/sdp';
import { settle } from '../call/flow-bed';

/**
 * The entry of every call, on fakes: a Meta INVITE through the router's real admission
 * (source range, digest challenge and answer, SDP policy, route) into a session that rings
 * the PBX, and a reload while a call is up (issue 9, item 7).
 */

beforeEach(() => { vi.useFakeTimers(); });
afterEach(() => { vi.useRealTimers(); });

const META_HOST = 'gw.example.com';
const PASSWORD = 'meta-secret';
const log = pino({ level: 'silent' });

function bed() {
  const sip = new FakeSignaling();
  const media = new FakeMediaSession();
  const registry = new CallRegistry();
  const cdrs: CdrRecord[] = [];
  const digest = new DigestServer({ realm: META_HOST, ttlSeconds: 30 });
  const service: MediaService = {
    allocate: () => media, claimLeg: () => false, isMediaServerAddress: () => false, healthyCount: () => 1, close: async () => undefined,
  };
  const routingFor = (destination: string): Routing => {
    const meta = metaConfig({ hostname: META_HOST });
    const pbx: PbxTarget = pbxTarget({ ring_timeout_seconds: 10 });
    const number: BusinessNumber = { number: '+12145551869', sip_password: PASSWORD, routes: [{ when: {}, pbx: 'main', destination }] };
    return {
      meta,
      metaAdmission: new MetaAdmission({ meta, numbers: [number], pbxs: [pbx], digest }),
      pbxAdmission: new PbxAdmission([pbx], [number], digest),
      metaTls: { pin: async () => ({ address: '157.240.0.10', port: 5061 }) },
      limits: new CallLimits({ max_calls: 0, max_calls_per_number: 1000, max_cps: 0 }, registry),
      session: { sip, media: { meta_rtp_timeout_seconds: 20, pbx_rtp_timeout_seconds: 0, comfort_noise: true }, registry, cdr: { write: (r) => cdrs.push(r), close: async () => undefined }, log },
    };
  };
  let routing = routingFor('1001');
  const rejected: string[] = [];
  const router = new InviteRouter({
    routing: () => routing, media: service, draining: () => false, onRejected: (code) => rejected.push(code),
    metaContact: new MetaContact(), refusals: new RateLimitedLog(log, { intervalMs: 60_000, maxKeys: 100 }), log,
  });
  return { sip, media, registry, cdrs, router, rejected, reload: (destination: string) => { routing = routingFor(destination); } };
}

let seq = 0;
/** Meta's INVITE; with the challenge of a 407, the same INVITE with credentials */
function metaInvite(challenge?: string): { req: FakeRequest; res: FakeResponse } {
  const uri = `sip:+12145551869@${META_HOST}`;
  const headers: Record<string, string> = {
    'Call-ID': `outgoing:wacid.W${++seq}`, From: '"12195550714" <sip:+12195550714@wa.meta.vc>;tag=m', To: `<${uri}>`, CSeq: '2 INVITE',
  };
  if (challenge) {
    const c = parseDigestHeader(challenge)!;
    const response = digestResponse({ algorithm: 'MD5', username: '12145551869', realm: c.realm!, password: PASSWORD, method: 'INVITE', uri, nonce: c.nonce!, qop: 'auth', nc: '00000001', cnonce: 'cn' });
    headers['Proxy-Authorization'] = `Digest username="12145551869", realm="${c.realm}", nonce="${c.nonce}", uri="${uri}", response="${response}", qop=auth, nc=00000001, cnonce="cn", algorithm=MD5, opaque="${c.opaque ?? ''}"`;
  }
  const req = new FakeRequest('INVITE', `${uri};transport=tls`, { headers, body: metaOffer({ ip: '157.240.1.1', port: 4000, keyB64: 'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNk' }), protocol: 'tls', source_address: '157.240.1.1', source_port: 5061 });
  const res = new FakeResponse();
  req.response = res;
  return { req, res };
}

/** a Meta call past its challenge, ringing the PBX */
async function admittedCall(b: ReturnType<typeof bed>) {
  const first = metaInvite();
  b.router.handle(first.req, first.res);
  expect(first.res.final?.status).toBe(407);
  const second = metaInvite(first.res.final!.headers['Proxy-Authenticate']);
  const uac = b.sip.nextUac();
  b.router.handle(second.req, second.res);
  return { meta: second, uac: await uac };
}

describe('InviteRouter on fakes', () => {
  it("challenges Meta, admits the credentialed INVITE, and rings the number's route at the PBX", async () => {
    const b = bed();
    const { meta, uac } = await admittedCall(b);
    expect(uac.uri).toBe('sip:1001@10.0.0.5:5060;transport=udp');
    uac.provisional(180);
    expect(meta.res.statuses).toEqual([180]);
    uac.answer(pbxSdp({ ip: '10.0.0.5', port: 20000 }));
    await settle();
    expect(meta.res.final?.status).toBe(200);
    expect(b.registry.size).toBe(1);
    b.sip.uasDialogs[0]!.remoteBye();
    await settle();
    expect(b.registry.size).toBe(0);
    expect(b.cdrs[0]).toMatchObject({ direction: 'user-initiated', pbx_destination: '1001', cause: 'bye' });
  });

  it('refuses an address that is neither Meta nor a PBX before anything is made, and counts it', () => {
    const b = bed();
    const stranger = metaInvite();
    Object.assign(stranger.req, { source_address: '203.0.113.9' });
    b.router.handle(stranger.req, stranger.res);
    expect(stranger.res.final?.status).toBe(403);
    expect(b.rejected).toEqual(['SOURCE_NOT_ALLOWED']);
    expect(b.media.legs).toHaveLength(0);
    expect(b.sip.uacs).toHaveLength(0);
  });

  it('a reload during a call: the call keeps what it had and ends cleanly; the next call follows the new route', async () => {
    const b = bed();
    const one = await admittedCall(b);
    one.uac.provisional(180);
    b.reload('2002');
    const pbxDialog = one.uac.answer(pbxSdp({ ip: '10.0.0.5', port: 20000 }));
    await settle();
    expect(one.meta.res.final?.status).toBe(200);

    const two = await admittedCall(b);
    expect(two.uac.uri).toBe('sip:2002@10.0.0.5:5060;transport=udp');
    two.uac.fail(486, 'Busy Here');
    await settle();
    expect(two.meta.res.final?.status).toBe(486);

    pbxDialog.remoteBye();
    await settle();
    expect(b.sip.uasDialogs[0]!.byes).toHaveLength(1);
    expect(b.registry.size).toBe(0);
    expect(b.cdrs.map((c) => [c.pbx_destination, c.cause])).toEqual([['2002', 'pbx-486'], ['1001', 'bye']]);
  });
});
