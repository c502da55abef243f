import pino from 'pino';
import { B2buaSession } from '../../../src/call/b2bua-session';
import type { PermissionCheck } from '../../../src/call/call-permission';
import type { CallFacts, SessionDeps } from '../../../src/call/call-session';
import { MetaFarSide, type MetaTlsCheck } from '../../../src/call/meta-far-side';
import { PbxFarSide } from '../../../src/call/pbx-far-side';
import { CallRegistry } from '../../../src/call/registry';
import type { CdrRecord } from '../../../src/cdr/cdr';
import type { BusinessNumber, MediaConfig, PbxTarget } from '../../../src/config/types';
import type { MediaSession } from '../../../src/media/types';
import { metaConfig, pbxTarget } from '../../support/config-fixtures';
import { FakeMediaSession } from '../../support/fakes/media';
import { FakeRequest, FakeResponse, FakeSignaling } from '../../support/fakes/sip';

/**
 * One call through a B2buaSession on fakes: the calling side's INVITE and our responses to
 * it, the far side's INVITEs (answered by the test), the FreeSWITCH legs, the CDR and the
 * registry. No servers, no sockets; with vi.useFakeTimers() every timer is the test's.
 */

export const BUSINESS: BusinessNumber = { number: '+12145551869', sip_password: 'meta-secret', routes: [] };
export const META_OFFER = 'v=0\r\no=- 1 1 IN IP4 157.240.1.1\r\ns=-\r\nc=IN IP4 157.240.1.1\r\nt=0 0\r\nm=audio 4000 RTP/SAVP 111 126\r\na=rtpmap:111 opus/48000/2\r\na=rtpmap:126 telephone-event/8000\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\na=sendrecv\r\n';
export const PBX_OFFER = 'v=0\r\no=pbx 5 5 IN IP4 10.0.0.5\r\ns=-\r\nc=IN IP4 10.0.0.5\r\nt=0 0\r\nm=audio 20000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n';

const MEDIA: MediaConfig = { meta_rtp_timeout_seconds: 20, pbx_rtp_timeout_seconds: 0, comfort_noise: true };

export interface FlowBed {
  sip: FakeSignaling;
  media: FakeMediaSession;
  registry: CallRegistry;
  cdrs: CdrRecord[];
  caller: { req: FakeRequest; res: FakeResponse };
  session: B2buaSession;
  /** the session's run(): resolves when set-up is over (answered or failed) */
  running: Promise<void>;
  tlsChecks: number;
}

function deps(sip: FakeSignaling, registry: CallRegistry, cdrs: CdrRecord[]): SessionDeps {
  return { sip, media: MEDIA, registry, cdr: { write: (r) => cdrs.push(r), close: async () => undefined }, log: pino({ level: 'silent' }) };
}

const FACTS = (direction: CallFacts['direction']): CallFacts => ({
  direction, businessNumber: BUSINESS.number, whatsappUser: '+12195550714', wacid: null, pbx: 'main', pbxDestination: '1001',
  metaCallId: null, pbxCallId: null, mediaServer: null, metaCallDuration: null, metaWarning: null,
});

/** a WhatsApp user's call: Meta's INVITE to us, our INVITE to the PBX */
export function inboundCall(o: { pbx?: Partial<PbxTarget>; holdLegs?: boolean; caller?: string | null; userId?: string; offer?: string; media?: (fake: FakeMediaSession) => MediaSession } = {}): FlowBed {
  const sip = new FakeSignaling();
  const media = new FakeMediaSession();
  media.hold = o.holdLegs ?? false;
  const registry = new CallRegistry();
  const cdrs: CdrRecord[] = [];
  const req = new FakeRequest('INVITE', `sip:${BUSINESS.number}@gw.example.com;transport=tls`, { headers: { 'Call-ID': 'outgoing:wacid.ABC', From: '"12195550714" <sip:+12195550714@wa.meta.vc>;tag=m1' }, body: o.offer ?? META_OFFER, protocol: 'tls', source_address: '157.240.1.1' });
  const res = new FakeResponse();
  req.response = res;
  const pbx = pbxTarget({ ring_timeout_seconds: 10, ...o.pbx });
  const far = new PbxFarSide(sip, { business: BUSINESS, caller: o.caller === undefined ? '+12195550714' : o.caller, userId: o.userId ?? null, wacid: 'ABC', pbx, destination: '1001', pbxHeaders: { 'X-WA-Wacid': 'ABC' } }, 'gw.example.com');
  const session = new B2buaSession(deps(sip, registry, cdrs), { side: 'meta', req, res }, far, FACTS('user-initiated'), {});
  const running = session.run(o.media ? o.media(media) : media);
  return { sip, media, registry, cdrs, caller: { req, res }, session, running, tlsChecks: 0 };
}

/** an agent's call: the PBX's INVITE to us, our INVITE to Meta */
export function outboundCall(o: { holdLegs?: boolean; tls?: MetaTlsCheck; permissions?: PermissionCheck; business?: Partial<BusinessNumber>; media?: (fake: FakeMediaSession) => MediaSession } = {}): FlowBed {
  const sip = new FakeSignaling();
  const media = new FakeMediaSession();
  media.hold = o.holdLegs ?? false;
  const registry = new CallRegistry();
  const cdrs: CdrRecord[] = [];
  const req = new FakeRequest('INVITE', 'sip:900441234567890@gw.example.com', { headers: { 'Call-ID': 'pbx-call-1', From: '<sip:1001@10.0.0.5>;tag=p1' }, body: PBX_OFFER, source_address: '10.0.0.5' });
  const res = new FakeResponse();
  req.response = res;
  const bed = { tlsChecks: 0 } as FlowBed;
  const tls: MetaTlsCheck = o.tls ?? { pin: async () => { bed.tlsChecks++; return { address: '157.240.0.10', port: 5061 }; } };
  const far = new MetaFarSide(sip, metaConfig(), { pbx: pbxTarget({ ring_timeout_seconds: 10 }), dialed: '+441234567890', business: { ...BUSINESS, ...o.business } }, tls, o.permissions ?? null);
  const session = new B2buaSession(deps(sip, registry, cdrs), { side: 'pbx', req, res }, far, FACTS('business-initiated'), {});
  const running = session.run(o.media ? o.media(media) : media);
  return Object.assign(bed, { sip, media, registry, cdrs, caller: { req, res }, session, running });
}

/** let every pending promise callback run (fake timers do not advance) */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

export const META_CHALLENGE = 'Digest realm="wa.meta.vc", nonce="abc123", opaque="op1", algorithm=MD5, qop="auth"';
