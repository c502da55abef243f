import type { HeardAudio } from './audio-check';

/**
 * What `test-call` found, as one object (printed with --json) and as the text an operator
 * reads. `bothWays` decides the exit code: audio flowed both ways only when our tone came
 * back from the far end (an echo), since nothing else seen from Meta's side proves that the
 * PBX heard us.
 */

/** how the SRTP keys were agreed: SDES (a=crypto) or DTLS-SRTP with ICE-lite (SPEC M10) */
export interface KeyExchangeReport {
  method: 'sdes' | 'dtls';
  /** SDES crypto suite, or the DTLS-SRTP profile agreed (null until the handshake is done) */
  suite: string | null;
  dtls?: {
    /** the gateway's a=setup (Meta is DTLS server: the gateway must be active) */
    setup: string | null;
    /** ms from the 200 OK to the end of the handshake (negative: before it) */
    completedMs: number | null;
    failure: string | null;
    /** the gateway's ICE checks: how many, all ICE-CONTROLLING, one with USE-CANDIDATE */
    iceChecks: number;
    iceControlling: boolean;
    useCandidate: boolean;
  };
}

export interface TestCallReport {
  /** user-initiated unless said (`--outbound`: business-initiated, test-call standing in for Meta) */
  direction?: 'user-initiated' | 'business-initiated';
  /** --outbound: the gateway's INVITE as Meta saw it, and what Meta would refuse in it */
  outbound?: { requestUri: string; fromHeader: string; checks: string[] };
  gateway: string;
  number: string;
  from: string;
  callId: string;
  /** the TLS connection: the error when there was none */
  tls: { ok: true; protocol: string } | { ok: false; error: string };
  /** our digest challenge: the status that carried it, and whether our answer was taken */
  challenge: { status: number; ms: number } | null;
  /** the final response to the (authenticated) INVITE */
  final: { status: number; reason: string; warning: string | null } | null;
  /** ms from the authenticated INVITE to the first 180 / 183 and to the 200 */
  to180Ms: number | null;
  to183Ms: number | null;
  to200Ms: number | null;
  /** the 200 OK ends with our Record-Route set unchanged (SPEC M4) */
  recordRouteKept: boolean | null;
  media: {
    profile: string;
    srtpSuite: string | null;
    keyExchange: KeyExchangeReport;
    opusPt: number | null;
    dtmfPt: number | null;
    packetsSent: number;
    packetsReceived: number;
    srtpAuthFailures: number;
    /** ms from the 200 OK to the first packet from the gateway (negative: it came first, as Meta expects, SPEC M11) */
    firstPacketMs: number | null;
  } | null;
  toneHz: number;
  heard: HeardAudio | null;
  dtmf: { sent: string; cameBack: string } | null;
  hangup: { by: 'test-call' | 'gateway'; afterMs: number; byeStatus: number | null } | null;
  /** PBX and destination, from the gateway's CDR */
  route: { pbx: string; destination: string } | null;
  cdr: Record<string, unknown> | null;
  /** why the CDR line is missing, when it is */
  cdrNote: string | null;
  bothWays: boolean;
  problem: string | null;
}

const HINTS: Record<number, string> = {
  403: 'the gateway refused our credentials or our source address: check the password (numbers[].sip_password_env) and that this host is in meta.source_ranges',
  404: 'the number is not in the gateway\'s numbers[]',
  480: 'the PBX did not answer (or was unreachable) within ring_timeout_seconds',
  486: 'the PBX extension is busy',
  488: 'the gateway refused our SDP',
  503: 'the gateway could not reach FreeSWITCH or the PBX, or a limit was hit',
};

const ms = (v: number | null) => (v === null ? '-' : `${v} ms`);
const db = (v: number) => (Number.isFinite(v) ? `${v.toFixed(0)} dBFS` : 'nothing');

function pbxToWhatsapp(r: TestCallReport): string {
  const h = r.heard;
  if (!r.media || r.media.packetsReceived === 0 || !h) return 'no: not one RTP packet came from the gateway';
  if (h.otherTone) return `yes: a ${h.otherTone.hz} Hz tone at ${db(h.otherTone.dbfs)}`;
  if (h.ownTone) return `yes: our own ${r.toneHz} Hz tone, echoed (${db(h.ownTone.dbfs)})`;
  return `no tone: audio at ${db(h.levelDbfs)} RMS (silence, comfort noise or speech)`;
}

function whatsappToPbx(r: TestCallReport): string {
  if (!r.heard) return 'not checked';
  if (r.heard.ownTone) return `yes: our ${r.toneHz} Hz tone came back at ${db(r.heard.ownTone.dbfs)} (the far end echoes)`;
  return `not confirmed: our ${r.toneHz} Hz tone did not come back; only a far end that echoes (an echo-test extension) can show it`;
}

export function reportText(r: TestCallReport): string {
  const lines: string[] = [];
  const row = (k: string, v: string) => lines.push(`  ${`${k}:`.padEnd(22)}${v}`);
  if (r.direction === 'business-initiated') outboundRows(r, row, lines);
  else lines.push(`test-call ${r.from} -> ${r.number} via ${r.gateway}`);
  if (r.direction !== 'business-initiated') row('TLS', r.tls.ok ? `ok (${r.tls.protocol}, certificate verified)` : `failed: ${r.tls.error}`);
  if (r.tls.ok && r.direction !== 'business-initiated') {
    row('challenge', r.challenge ? `${r.challenge.status} after ${r.challenge.ms} ms, answered with the SIP password` : 'none (the gateway did not challenge)');
    const f = r.final;
    const verdict = f ? `${f.status} ${f.reason}${f.warning ? ` (${f.warning})` : ''}` : 'no final response';
    row('admission', f?.status === 200 ? 'admitted: 200 OK' : verdict);
    if (f && f.status !== 200 && HINTS[f.status]) row('hint', HINTS[f.status]!);
    row('route', r.route ? `${r.route.pbx} / ${r.route.destination} (from the CDR)` : (r.cdrNote ?? 'unknown'));
    row('time to 180', ms(r.to180Ms));
    if (r.to183Ms !== null) row('time to 183', ms(r.to183Ms));
    row('time to 200', ms(r.to200Ms));
  }
  if (r.recordRouteKept !== null) row('Record-Route', r.recordRouteKept ? 'ours, unchanged, in the 200 OK' : 'CHANGED in the 200 OK: Meta\'s ACK would never arrive');
  if (r.media) {
    const m = r.media;
    row('media', `${m.profile}${m.srtpSuite ? ` ${m.srtpSuite}` : ''}, opus ${m.opusPt ?? 'missing'}, telephone-event ${m.dtmfPt ?? 'missing'}`);
    row('key exchange', keyExchangeText(m.keyExchange));
    const first = m.firstPacketMs === null ? 'none' : `the first ${Math.abs(m.firstPacketMs)} ms ${m.firstPacketMs < 0 ? 'before' : 'after'} the 200 OK`;
    row('packets', `sent ${m.packetsSent}, received ${m.packetsReceived} (${first}), SRTP auth failures ${m.srtpAuthFailures}`);
    row('PBX -> WhatsApp', pbxToWhatsapp(r));
    row('WhatsApp -> PBX', whatsappToPbx(r));
  }
  if (r.dtmf) row('DTMF', `sent ${r.dtmf.sent}; came back ${r.dtmf.cameBack || 'none'}`);
  if (r.hangup) row('hung up by', `${r.hangup.by === 'gateway' ? 'the PBX side (BYE from the gateway)' : 'test-call'} after ${r.hangup.afterMs} ms${r.hangup.byeStatus !== null ? ` (BYE answered ${r.hangup.byeStatus})` : ''}`);
  if (r.cdr) row('CDR', JSON.stringify(r.cdr));
  if (r.problem) row('problem', r.problem);
  lines.push(`result: ${r.bothWays ? 'PASS: audio flowed both ways' : 'FAIL: audio did not flow both ways'}`);
  return lines.join('\n');
}

function keyExchangeText(k: KeyExchangeReport): string {
  if (k.method === 'sdes' || !k.dtls) return `SDES (a=crypto${k.suite ? ` ${k.suite}` : ''})`;
  const d = k.dtls;
  const done = d.completedMs === null ? `not completed${d.failure ? `: ${d.failure}` : ''}`
    : `completed ${Math.abs(d.completedMs)} ms ${d.completedMs < 0 ? 'before' : 'after'} the 200 OK${k.suite ? `, ${k.suite}` : ''}`;
  const ice = d.iceChecks === 0 ? 'no ICE checks from the gateway'
    : `${d.iceChecks} ICE checks from the gateway, ${d.iceControlling ? 'controlling' : 'NOT all controlling'}, ${d.useCandidate ? 'nominated (USE-CANDIDATE)' : 'no USE-CANDIDATE'}`;
  return `DTLS-SRTP, the gateway a=setup:${d.setup ?? '?'}; ${done}; ${ice}`;
}

function outboundRows(r: TestCallReport, row: (k: string, v: string) => void, lines: string[]): void {
  lines.push(`test-call --outbound: ${r.number || '?'} -> ${r.from || '?'} from the gateway at ${r.gateway || '(none)'}`);
  if (!r.outbound) return;
  row('Request-URI', r.outbound.requestUri);
  row('From', r.outbound.fromHeader);
  row('as Meta sees it', r.outbound.checks.length ? `refused: ${r.outbound.checks.join('; ')}` : 'well formed');
  row('our challenge', r.challenge ? `407, answered after ${r.challenge.ms} ms` : 'not answered');
  row('our answer', r.final ? `${r.final.status} ${r.final.reason}${r.final.warning ? ` (${r.final.warning})` : ''}` : '-');
  row('route', r.route ? `${r.route.pbx} (from the CDR)` : (r.cdrNote ?? 'give --cdr FILE to read it from the CDR'));
}

export function reportJson(r: TestCallReport): string {
  return JSON.stringify(r, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2);
}
