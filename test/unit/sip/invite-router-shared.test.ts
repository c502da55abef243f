import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { digestResponse, parseDigestHeader } from '../../../src/auth/digest';
import { DigestServer } from '../../../src/auth/digest-server';
import { CallRegistry } from '../../../src/call/registry';
import type { BusinessNumber } from '../../../src/config/types';
import type { MediaService } from '../../../src/media/types';
import type { CallLimiter, LimitDecision } from '../../../src/sip/call-limiter';
import { reject, type Rejection } from '../../../src/sip/errors';
import { InviteRouter } from '../../../src/sip/invite-router';
import { MetaAdmission } from '../../../src/sip/meta-admission';
import { MetaContact } from '../../../src/sip/meta-contact';
import type { NonceProof } from '../../../src/sip/nonce-proof';
import { PbxAdmission } from '../../../src/sip/pbx-admission';
import { RateLimitedLog } from '../../../src/util/rate-limited-log';
import { metaConfig, pbxTarget } from '../../support/config-fixtures';
import { FakeMediaSession } from '../../support/fakes/media';
import { FakeRequest, FakeResponse, FakeSignaling } from '../../support/fakes/sip';
import { metaOffer } from '../../support/sdp';
import { settle } from '../call/flow-bed';

/**
 * The INVITE router's steps that wait for Redis (issue 13), on fakes: a nonce another
 * instance took, a CANCEL while the shared limits are asked, and the grant given back once
 * when the call ends or never starts.
 */
const HOST = 'gw.example.com';
const PASSWORD = 'meta-secret';
const log = pino({ level: 'silent' });

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => { resolve = r; });
  return { promise, resolve };
}

function bed(o: { replayed?: boolean; media?: boolean | 'busy' } = {}) {
  const sip = new FakeSignaling();
  const registry = new CallRegistry();
  const digest = new DigestServer({ realm: HOST, ttlSeconds: 30 });
  const asked: string[] = [];
  let released = 0;
  const pending: ReturnType<typeof deferred<LimitDecision>>[] = [];
  const limiter: CallLimiter = {
    acquire: (n) => {
      asked.push(n);
      const d = deferred<LimitDecision>();
      pending.push(d);
      return d.promise;
    },
  };
  const grant = () => pending.shift()!.resolve({ release: () => void released++ });
  const claimed: string[] = [];
  const refused: string[] = [];
  const nonces = { claim: async (p: NonceProof): Promise<Rejection | null> => (claimed.push(p.nonce), o.replayed ? p.replayed : null) };
  const media = new FakeMediaSession();
  const service: MediaService = { allocate: () => (o.media === false ? null : o.media === 'busy' ? 'busy' : media), claimLeg: () => false, isMediaServerAddress: () => false, healthyCount: () => 1, close: async () => undefined };
  const meta = metaConfig({ hostname: HOST });
  const pbx = pbxTarget({ ring_timeout_seconds: 10 });
  const number: BusinessNumber = { number: '+12145551869', sip_password: PASSWORD, routes: [{ when: {}, pbx: 'main', destination: '1001' }] };
  const routing = {
    meta, metaAdmission: new MetaAdmission({ meta, numbers: [number], pbxs: [pbx], digest }), pbxAdmission: new PbxAdmission([pbx], [number], digest),
    metaTls: { pin: async () => ({ address: '157.240.0.10', port: 5061 }) }, limits: limiter,
    session: { sip, media: { meta_rtp_timeout_seconds: 20, pbx_rtp_timeout_seconds: 0, comfort_noise: true }, registry, cdr: { write: () => undefined, close: async () => undefined }, log },
  };
  const router = new InviteRouter({
    routing: () => routing, media: service, draining: () => false, onRejected: (code) => void refused.push(code), nonces,
    metaContact: new MetaContact(), refusals: new RateLimitedLog(log, { intervalMs: 60_000, maxKeys: 100 }), log,
  });
  return { sip, registry, router, asked, claimed, refused, grant, released: () => released, reject: (r: Rejection) => pending.shift()!.resolve(r) };
}

let seq = 0;
function metaInvite(challenge?: string): { req: FakeRequest; res: FakeResponse } {
  const uri = `sip:+12145551869@${HOST}`;
  const headers: Record<string, string> = { 'Call-ID': `outgoing:wacid.S${++seq}`, From: '"12195550714" <sip:+12195550714@wa.meta.vc>;tag=m', To: `<${uri}>`, CSeq: '2 INVITE' };
  if (challenge) {
    const c = parseDigestHeader(challenge)!;
    const response = digestResponse({ algorithm: 'MD5', username: '12145551869', realm: c.realm!, password: PASSWORD, method: 'INVITE', uri, nonce: c.nonce!, qop: 'auth', nc: '00000001', cnonce: 'cn' });
    headers['Proxy-Authorization'] = `Digest username="12145551869", realm="${c.realm}", nonce="${c.nonce}", uri="${uri}", response="${response}", qop=auth, nc=00000001, cnonce="cn", algorithm=MD5`;
  }
  const req = new FakeRequest('INVITE', `${uri};transport=tls`, { headers, body: metaOffer({ ip: '157.240.1.1', port: 4000, keyB64: 'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNk' }), protocol: 'tls', source_address: '157.240.1.1', source_port: 5061 });
  const res = new FakeResponse();
  req.response = res;
  return { req, res };
}

/** the challenge, then the INVITE with credentials handed to the router */
function credentialed(b: ReturnType<typeof bed>) {
  const first = metaInvite();
  b.router.handle(first.req, first.res);
  const second = metaInvite(first.res.final!.headers['Proxy-Authenticate']);
  b.router.handle(second.req, second.res);
  return second;
}

describe('InviteRouter: the steps that wait for Redis', () => {
  it('a nonce another instance took: a fresh challenge (stale=true), the limits never asked', async () => {
    const b = bed({ replayed: true });
    const second = credentialed(b);
    await settle();
    expect(b.claimed).toHaveLength(1);
    expect(second.res.final?.status).toBe(407);
    expect(second.res.final?.headers['Proxy-Authenticate']).toContain('stale=true');
    expect(b.asked).toEqual([]);
  });

  it('CANCEL while the limits are asked: nothing starts, the grant goes back', async () => {
    const b = bed();
    const second = credentialed(b);
    await settle();
    expect(b.asked).toEqual(['+12145551869']);
    second.req.emitCancel();
    b.grant();
    await settle();
    expect(b.sip.uacs).toHaveLength(0);
    expect(b.registry.size).toBe(0);
    expect(b.released()).toBe(1);
    expect(second.res.final?.status).toBe(487); // drachtio-server's own answer
  });

  it('refused by the shared limits: 503 with the code; no media server: 503 and the grant goes back', async () => {
    const b = bed();
    const second = credentialed(b);
    await settle();
    b.reject(reject('LIMIT_NUMBER', 'across all instances'));
    await settle();
    expect(`${second.res.final?.status} ${second.res.final?.reason}`).toBe('503 Too Many Calls For Number');
    const noMedia = bed({ media: false });
    const again = credentialed(noMedia);
    await settle();
    noMedia.grant();
    await settle();
    expect(again.res.final?.status).toBe(503);
    expect(noMedia.released()).toBe(1);
  });

  it('every media server busy setting up legs: 503 Media Server Busy at once, nothing sent on, the grant goes back', async () => {
    const b = bed({ media: 'busy' });
    const call = credentialed(b);
    await settle();
    b.grant();
    await settle();
    expect(`${call.res.final?.status} ${call.res.final?.reason}`).toBe('503 Media Server Busy');
    expect(b.refused).toEqual(['MEDIA_BUSY']);
    expect(b.sip.uacs).toHaveLength(0);
    expect(b.registry.size).toBe(0);
    expect(b.released()).toBe(1);
  });

  it('admitted: the call holds its grant until it ends, then gives it back once', async () => {
    const b = bed();
    credentialed(b);
    await settle();
    const uac = b.sip.nextUac();
    b.grant();
    const ringing = await uac;
    await settle();
    expect(b.registry.size).toBe(1);
    expect(b.released()).toBe(0);
    ringing.fail(486, 'Busy Here');
    await settle();
    expect(b.registry.size).toBe(0);
    expect(b.released()).toBe(1);
  });
});
