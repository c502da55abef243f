import { DigestServer } from '../auth/digest-server';
import { uriHost } from '../util/sip-uri';
import { analyse } from './audio-check';
import { readCdr } from './cdr-lookup';
import { answerMedia, type KeyExchange } from './meta-media';
import type { TestCallReport } from './report';
import { cseqOf, header, headerAll, randomToken, responseTo, tagOf, uriOf, type SipMessage } from './sip/message';
import { MetaListener } from './sip/meta-listener';

/**
 * `test-call --outbound --listen IP:PORT`: stands in for wa.meta.vc while an operator dials a
 * WhatsApp number from a phone on the PBX (SPEC M5, M6): the gateway's INVITE is checked
 * as Meta would (Request-URI and From shape), challenged with 407 and its answer verified
 * with the business number's SIP password, then answered 180 / 200 with an Opus SDP on the
 * offer's payload types, in the offer's key exchange (SDES, or DTLS-SRTP answered
 * `a=setup:passive` and ICE-lite, as Meta does; `srtp` makes the other one a 488); a tone and DTMF go to the gateway, what comes back is
 * analysed, and BYE follows after `seconds` unless the PBX side hangs up first.
 */

export interface OutboundOptions {
  host: string;
  port: number;
  cert: string;
  key: string;
  /** the SIP password of a business number (+E.164), if known */
  passwordFor(business: string): string | undefined;
  seconds: number;
  toneHz: number;
  dtmf: string;
  /** the key exchange the number has at Meta; unset: whichever the gateway offers */
  srtp?: KeyExchange;
  /** how long to wait for the gateway's INVITE */
  waitMs: number;
  cdrFile?: string;
  progress?: (line: string) => void;
}

const E164_RURI = /^sip:(\+[1-9]\d{6,14})@([^;>]+);transport=tls$/i;
const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
/** audio between two digits, as a keypad leaves (with none, rtpengine's path lost the second of two events) */
const INTER_DIGIT_MS = 100;
/** longest wait for the DTLS handshake after our 200 OK */
const DTLS_TIMEOUT_MS = 5000;

function checkInvite(inv: SipMessage): { business: string | null; user: string | null; checks: string[] } {
  const checks: string[] = [];
  const ruri = E164_RURI.exec(inv.uri ?? '');
  const host = ruri?.[2] ?? '';
  if (!ruri) checks.push(`Request-URI ${inv.uri} is not sip:+<E.164>@<domain>;transport=tls (Meta answers 404 or 400)`);
  else if (/^[\d.]+$|^\[/.test(host)) checks.push(`Request-URI host ${host} is an IP address (Meta answers 404)`);
  const from = uriOf(header(inv, 'From') ?? '');
  const business = /^sip:(\+[1-9]\d{6,14})@/.exec(from)?.[1] ?? null;
  if (!business) checks.push(`From ${from} is not sip:+<E.164>@<your hostname> (Meta answers 400)`);
  return { business, user: ruri?.[1] ?? null, checks };
}

export async function runOutbound(o: OutboundOptions): Promise<TestCallReport> {
  const say = o.progress ?? (() => undefined);
  const report: TestCallReport = {
    direction: 'business-initiated', gateway: '', number: '', from: '', callId: '', tls: { ok: false, error: 'no connection from the gateway' },
    challenge: null, final: null, to180Ms: null, to183Ms: null, to200Ms: null, recordRouteKept: null, media: null, toneHz: o.toneHz,
    heard: null, dtmf: null, hangup: null, route: null, cdr: null, cdrNote: null, bothWays: false, problem: null,
  };
  const listener = await MetaListener.listen({ host: o.host, port: o.port, cert: o.cert, key: o.key });
  say(`listening on ${o.host}:${listener.port} as wa.meta.vc: dial a WhatsApp number from a phone on the PBX`);
  try {
    await answer(o, listener, report, say);
  } finally {
    await listener.close();
  }
  if (o.cdrFile && report.callId) {
    const found = await readCdr(o.cdrFile, report.callId, 5000);
    if (typeof found === 'string') report.cdrNote = found;
    else {
      report.cdr = found;
      if (typeof found.pbx === 'string') report.route = { pbx: found.pbx, destination: String(found.pbx_destination ?? '') };
    }
  }
  return report;
}

async function answer(o: OutboundOptions, l: MetaListener, report: TestCallReport, say: (s: string) => void): Promise<void> {
  const first = await l.next((m) => m.method === 'INVITE' && !tagOf(header(m, 'To')), o.waitMs);
  if (!first) {
    report.problem = `no INVITE from the gateway within ${o.waitMs / 1000} s: check meta.outbound_host / outbound_port / outbound_tls_servername / outbound_tls_ca_file`;
    return;
  }
  const inv = first.msg;
  report.tls = { ok: true, protocol: 'TLS' };
  report.gateway = l.remoteOf(inv);
  report.callId = header(inv, 'Call-ID') ?? '';
  const { business, user, checks } = checkInvite(inv);
  report.number = business ?? '';
  report.from = user ?? '';
  report.outbound = { requestUri: inv.uri ?? '', fromHeader: header(inv, 'From') ?? '', checks };
  say(`INVITE ${inv.uri} from ${report.outbound.fromHeader}`);
  const digest = new DigestServer({ realm: 'wa.meta.vc', ttlSeconds: 30 });
  l.reply(inv, responseTo(inv, 407, 'Proxy Authentication Required', { toTag: randomToken('m'), headers: [['Proxy-Authenticate', digest.challenge()]] }));
  const authed = await l.next((m) => m.method === 'INVITE' && header(m, 'Call-ID') === report.callId && cseqOf(m).seq > cseqOf(inv).seq, 10_000);
  if (!authed) {
    report.problem = 'the gateway did not answer our 407 challenge';
    return;
  }
  report.challenge = { status: 407, ms: authed.at - first.at };
  const password = business ? o.passwordFor(business) : undefined;
  const verdict = password === undefined ? null : digest.verify(header(authed.msg, 'Proxy-Authorization'), 'INVITE', { username: business!.slice(1), password });
  if (!verdict?.ok || checks.length) {
    const why = !password ? `no SIP password for ${business ?? 'the From number'} (--password-env)` : verdict && !verdict.ok ? `digest ${verdict.reason}` : checks.join('; ');
    l.reply(authed.msg, responseTo(authed.msg, 403, 'Forbidden', { toTag: randomToken('m'), headers: [['Warning', `399 wa.meta.vc "${why}"`]] }));
    report.final = { status: 403, reason: 'Forbidden', warning: why };
    report.problem = why;
    return;
  }
  await media(o, l, authed.msg, authed.at, report, say);
}

async function media(o: OutboundOptions, l: MetaListener, inv: SipMessage, invAt: number, report: TestCallReport, say: (s: string) => void): Promise<void> {
  const answered = await answerMedia(inv.body, l.host, o.srtp);
  if (typeof answered === 'string') {
    l.reply(inv, responseTo(inv, 488, 'Not Acceptable Here', { toTag: randomToken('m') }));
    report.final = { status: 488, reason: 'Not Acceptable Here', warning: answered };
    report.problem = answered;
    return;
  }
  const { media: mm, answer: sdp, target } = answered;
  const rtp = mm.rtp;
  try {
    const toTag = randomToken('m');
    const contact: [string, string] = ['Contact', `<sip:${report.from}@wa.meta.vc;transport=tls;ob>;isfocus`];
    // Meta's edge record-routes itself: the gateway's ACK and BYE come back here, not to wa.meta.vc
    const edge = `<sip:${uriHost(l.host)}:${l.port};transport=tls;lr>`;
    const withEdge = (m: SipMessage): SipMessage => ({ ...m, headers: [...m.headers.filter(([n]) => n.toLowerCase() !== 'record-route'), ...headerAll(inv, 'Record-Route').map((r): [string, string] => ['Record-Route', r]), ['Record-Route', edge]] });
    l.reply(inv, withEdge(responseTo(inv, 180, 'Ringing', { toTag, headers: [contact] })));
    report.to180Ms = Date.now() - invAt;
    await delay(500);
    rtp.startTone(o.toneHz); // Meta's side sends from the answer on (DTLS: once the handshake is done)
    l.reply(inv, withEdge(responseTo(inv, 200, 'OK', { toTag, headers: [contact, ['Content-Type', 'application/sdp']], body: sdp })));
    const okAt = Date.now();
    report.to200Ms = okAt - invAt;
    report.final = { status: 200, reason: 'OK', warning: null };
    say('200 OK');
    const ack = await l.next((m) => m.method === 'ACK' && header(m, 'Call-ID') === report.callId, 5000);
    if (!ack) report.problem = 'no ACK for our 200 OK within 5 s';
    const m = { profile: target.profile, srtpSuite: target.suite, keyExchange: mm.summary(okAt), opusPt: target.opusPt, dtmfPt: target.dtmfPt, packetsSent: 0, packetsReceived: 0, srtpAuthFailures: 0, firstPacketMs: null as number | null };
    report.media = m;
    const notKeyed = await mm.keyed(DTLS_TIMEOUT_MS);
    if (notKeyed) report.problem = `no SRTP keys: ${notKeyed}`;
    const bye = l.next((msg) => msg.method === 'BYE' && header(msg, 'Call-ID') === report.callId, notKeyed ? 0 : o.seconds * 1000);
    let ended = false;
    const digits = (async () => {
      await delay(1500);
      for (const d of o.dtmf) if (!ended && !notKeyed) await rtp.sendDtmf(d, 120).then(() => delay(INTER_DIGIT_MS));
    })().catch(() => undefined);
    const theirBye = await bye;
    ended = true;
    rtp.stop();
    void digits;
    if (theirBye) {
      l.reply(theirBye.msg, responseTo(theirBye.msg, 200, 'OK'));
      report.hangup = { by: 'gateway', afterMs: theirBye.at - okAt, byeStatus: null };
    } else {
      const ourBye = byeFor(inv, toTag, `${uriHost(l.host)}:${l.port}`);
      const afterMs = Date.now() - okAt;
      l.send(ourBye);
      const r = await l.next((msg) => msg.status !== undefined && header(msg, 'Call-ID') === report.callId && cseqOf(msg).method === 'BYE', 5000);
      report.hangup = { by: 'test-call', afterMs, byeStatus: r?.msg.status ?? null };
    }
    m.keyExchange = mm.summary(okAt);
    if (mm.keyExchange === 'dtls') m.srtpSuite = m.keyExchange.suite;
    m.packetsSent = rtp.packetsSent;
    m.packetsReceived = rtp.packetsReceived;
    m.srtpAuthFailures = rtp.authFailures;
    m.firstPacketMs = rtp.firstPacketAt === null ? null : rtp.firstPacketAt - okAt;
    const pcm = rtp.receivedPcm();
    report.heard = analyse(pcm.subarray(Math.min(pcm.length, rtp.sampleRate / 2)), rtp.sampleRate, o.toneHz);
    report.dtmf = { sent: o.dtmf, cameBack: rtp.dtmfDigits() };
    report.bothWays = !notKeyed && report.heard.ownTone !== null;
  } finally {
    await mm.close();
  }
}

/** our BYE as the UAS of the gateway's INVITE (RFC 3261 §12.2.1.1): its Contact, its Record-Route in order */
function byeFor(inv: SipMessage, toTag: string, via: string): SipMessage {
  return {
    method: 'BYE',
    uri: uriOf(header(inv, 'Contact') ?? inv.uri ?? ''),
    headers: [
      ['Via', `SIP/2.0/TLS ${via};branch=z9hG4bK${randomToken()}`],
      ...headerAll(inv, 'Record-Route').map((r): [string, string] => ['Route', r]),
      ['Max-Forwards', '70'],
      ['From', `${header(inv, 'To')};tag=${toTag}`],
      ['To', header(inv, 'From') ?? ''],
      ['Call-ID', header(inv, 'Call-ID') ?? ''],
      ['CSeq', '1 BYE'],
    ],
    body: '',
  };
}
