import { randomBytes } from 'node:crypto';
import { answerChallenge } from '../auth/digest-client';
import { analyse } from './audio-check';
import { readCdr } from './cdr-lookup';
import { offerMedia, type KeyExchange, type MetaMedia } from './meta-media';
import { answeredMedia } from './meta-sdp';
import type { TestCallReport } from './report';
import { header, headerAll, type SipMessage } from './sip/message';
import { MetaClient } from './sip/meta-client';

/**
 * `test-call`: Meta's side of a user-initiated call into a running gateway (SPEC M1-M4,
 * M9-M11). TLS as Meta connects; the INVITE of Meta's traces with an Opus offer in SDES or
 * DTLS-SRTP / ICE-lite mode (src/testcall/meta-media.ts);
 * the gateway's digest challenge answered with the number's SIP password; on 200 OK our
 * ACK, then a tone and RFC 4733 DTMF toward the gateway while listening to what comes
 * back; BYE after `seconds` unless the PBX side hangs up first. Returns the report.
 */

export interface TestCallOptions {
  host: string;
  port: number;
  servername: string;
  ca?: string;
  localAddress?: string;
  number: string;
  from: string;
  password: string;
  /** Meta's key exchange for the number: SDES (a=crypto) or DTLS-SRTP with ICE-lite */
  srtp: KeyExchange;
  /** how long the call lasts once answered */
  seconds: number;
  toneHz: number;
  dtmf: string;
  /** longest wait for the final response to the INVITE */
  answerTimeoutMs: number;
  cdrFile?: string;
  progress?: (line: string) => void;
}

const DTMF_AFTER_MS = 1500;
/** audio between two digits, as a keypad leaves (with none, rtpengine's path lost the second of two events) */
const INTER_DIGIT_MS = 100;
/** longest wait for the DTLS handshake after the 200 OK */
const DTLS_TIMEOUT_MS = 5000;
/** the first half second after the answer is left out of the analysis (jitter buffers filling) */
const SKIP_MS = 500;

function emptyReport(o: TestCallOptions): TestCallReport {
  return {
    gateway: `${o.host}:${o.port}`, number: o.number, from: o.from, callId: '', tls: { ok: false, error: 'not tried' }, challenge: null, final: null,
    to180Ms: null, to183Ms: null, to200Ms: null, recordRouteKept: null, media: null, toneHz: o.toneHz, heard: null, dtmf: null, hangup: null,
    route: null, cdr: null, cdrNote: o.cdrFile ? null : 'unknown: give --cdr FILE (the gateway\'s cdr.file) to read it from the CDR', bothWays: false, problem: null,
  };
}

const warningText = (m: SipMessage): string | null => /"([^"]*)"/.exec(header(m, 'Warning') ?? '')?.[1] ?? null;

export async function runTestCall(o: TestCallOptions): Promise<TestCallReport> {
  const report = emptyReport(o);
  const say = o.progress ?? (() => undefined);
  let client: MetaClient;
  try {
    client = await MetaClient.connect({ host: o.host, port: o.port, servername: o.servername, ca: o.ca, localAddress: o.localAddress });
  } catch (err) {
    report.tls = { ok: false, error: (err as Error).message };
    report.problem = 'no TLS connection: check the address, the port, --servername and --ca';
    return report;
  }
  const { media, offer } = await offerMedia(o.srtp, client.localAddress);
  try {
    report.tls = { ok: true, protocol: client.protocol };
    await call(o, client, media, offer, report, say);
  } finally {
    await media.close();
    client.close();
  }
  if (o.cdrFile && report.callId) {
    const found = await readCdr(o.cdrFile, report.callId, 5000);
    if (typeof found === 'string') report.cdrNote = found;
    else {
      report.cdr = found;
      if (typeof found.pbx === 'string' && typeof found.pbx_destination === 'string') report.route = { pbx: found.pbx, destination: found.pbx_destination };
    }
  }
  return report;
}

async function call(o: TestCallOptions, client: MetaClient, mm: MetaMedia, sdp: string, report: TestCallReport, say: (l: string) => void): Promise<void> {
  const rtp = mm.rtp;
  const wacid = `HBgLtestcall${randomBytes(9).toString('hex').toUpperCase()}`;
  let invite = client.invite({ business: o.number, user: o.from, gatewayHost: o.servername, sdp, wacid });
  report.callId = header(invite, 'Call-ID')!;
  say(`INVITE sip:${o.number}@${o.servername} from ${o.from} (Call-ID ${report.callId})`);
  const sentAt = Date.now();
  client.send(invite);
  let first = await client.response(invite, 32_000, true);
  if (first && (first.msg.status === 401 || first.msg.status === 407)) {
    const status = first.msg.status;
    report.challenge = { status, ms: first.at - sentAt };
    client.ackNon2xx(invite, first.msg);
    const answer = answerChallenge(status, header(first.msg, status === 401 ? 'WWW-Authenticate' : 'Proxy-Authenticate'),
      { username: o.number.slice(1), password: o.password, method: 'INVITE', uri: `sip:${o.number}@${o.servername}` });
    if (typeof answer === 'string') {
      report.problem = `cannot answer the gateway's challenge: ${answer}`;
      return;
    }
    say(`${status}: answering the challenge as ${o.number.slice(1)}`);
    invite = client.reinviteWith(invite, answer);
    first = null;
  }
  const authedAt = Date.now();
  if (!first) client.send(invite);
  const final = first ?? await progress(client, invite, authedAt, o.answerTimeoutMs, report, say);
  if (!final) {
    report.problem = `no final response to the INVITE within ${o.answerTimeoutMs} ms`;
    return;
  }
  const resp = final.msg;
  report.final = { status: resp.status!, reason: resp.reason ?? '', warning: warningText(resp) };
  say(`${resp.status} ${resp.reason ?? ''}`);
  if (resp.status !== 200) {
    client.ackNon2xx(invite, resp);
    return;
  }
  report.to200Ms = final.at - authedAt;
  const dialog = MetaClient.dialog(invite, resp);
  client.send(client.inDialog(dialog, 'ACK'));
  report.recordRouteKept = sameTail(headerAll(resp, 'Record-Route'), client.recordRoute());
  const media = answeredMedia(resp.body);
  const unusable = typeof media === 'string' ? media : mm.takeAnswer(resp.body);
  if (typeof media === 'string' || unusable) {
    report.problem = unusable;
    await hangUp(client, dialog, final.at, report);
    return;
  }
  rtp.startTone(o.toneHz); // DTLS: queued until the handshake is done
  report.media = { profile: media.profile, srtpSuite: media.suite, keyExchange: mm.summary(final.at), opusPt: media.opusPt, dtmfPt: media.dtmfPt, packetsSent: 0, packetsReceived: 0, srtpAuthFailures: 0, firstPacketMs: null };
  const notKeyed = await mm.keyed(DTLS_TIMEOUT_MS);
  if (notKeyed) {
    report.media.keyExchange = mm.summary(final.at);
    report.problem = `no SRTP keys: ${notKeyed}`;
    await hangUp(client, dialog, final.at, report);
    return;
  }

  const bye = client.next((m) => m.method === 'BYE' && header(m, 'Call-ID') === dialog.callId, o.seconds * 1000);
  let ended = false;
  const digits = (async () => {
    await delay(DTMF_AFTER_MS);
    for (const d of o.dtmf) if (!ended) await rtp.sendDtmf(d, 120).then(() => delay(INTER_DIGIT_MS));
  })().catch(() => undefined); // the call ended while a digit was queued
  const byeFromGateway = await bye;
  ended = true;
  rtp.stop();
  void digits;
  if (byeFromGateway) report.hangup = { by: 'gateway', afterMs: byeFromGateway.at - final.at, byeStatus: null };
  else await hangUp(client, dialog, final.at, report);

  report.media.keyExchange = mm.summary(final.at);
  if (mm.keyExchange === 'dtls') report.media.srtpSuite = report.media.keyExchange.suite;
  report.media.packetsSent = rtp.packetsSent;
  report.media.packetsReceived = rtp.packetsReceived;
  report.media.srtpAuthFailures = rtp.authFailures;
  report.media.firstPacketMs = rtp.firstPacketAt === null ? null : rtp.firstPacketAt - final.at;
  const pcm = rtp.receivedPcm();
  report.heard = analyse(pcm.subarray(Math.min(pcm.length, (rtp.sampleRate * SKIP_MS) / 1000)), rtp.sampleRate, o.toneHz);
  report.dtmf = { sent: o.dtmf, cameBack: rtp.dtmfDigits() };
  report.bothWays = report.heard.ownTone !== null;
}

/** provisional responses until the final one */
async function progress(client: MetaClient, invite: SipMessage, since: number, timeoutMs: number, report: TestCallReport, say: (l: string) => void) {
  const deadline = since + timeoutMs;
  for (;;) {
    const r = await client.response(invite, Math.max(0, deadline - Date.now()));
    if (!r || (r.msg.status ?? 0) >= 200) return r;
    if (r.msg.status === 180 && report.to180Ms === null) report.to180Ms = r.at - since;
    if (r.msg.status === 183 && report.to183Ms === null) report.to183Ms = r.at - since;
    if (r.msg.status !== 100) say(`${r.msg.status} ${r.msg.reason ?? ''}`);
  }
}

async function hangUp(client: MetaClient, dialog: ReturnType<typeof MetaClient.dialog>, answeredAt: number, report: TestCallReport): Promise<void> {
  const bye = client.inDialog(dialog, 'BYE', [['x-wa-meta-call-duration', String(Math.round((Date.now() - answeredAt) / 1000))]]);
  const afterMs = Date.now() - answeredAt;
  client.send(bye);
  const r = await client.response(bye, 5000, true);
  report.hangup = { by: 'test-call', afterMs, byeStatus: r?.msg.status ?? null };
}

/** our Record-Route entries are the last ones of the 200 OK, byte for byte */
function sameTail(got: string[], sent: string[]): boolean {
  return got.length >= sent.length && got.slice(-sent.length).every((v, i) => v === sent[i]);
}

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
