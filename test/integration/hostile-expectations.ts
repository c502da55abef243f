import type { Transport } from '../support/sip/raw-exchange';

/**
 * What each RFC 4475 message must get from the gateway, and why (SPEC R5): a final status,
 * or 'drop' (no answer at all, on purpose and documented). Who answers: drachtio-server's
 * SIP stack (sofia-sip) checks syntax first (400, 505) and answers some requests itself;
 * what it hands over is answered by src/sip/ (request-rules, out-of-dialog, invite-router).
 *
 * - stranger: an address neither in Meta's ranges nor a PBX's allow_sources. Requests other
 *   than INVITE are dropped (scanners learn nothing); an INVITE gets 416/420 when RFC 3261
 *   §8.2.2 says so, else 403 (SPEC R1).
 * - meta: an address in Meta's ranges. An INVITE over UDP or TCP is refused 403 (Meta calls
 *   only over TLS), over TLS 404 (example.com Request-URIs name no business number).
 */
export type Outcome = number | 'drop';
const stream = (t: Transport) => t !== 'udp';
export type Source = 'stranger' | 'meta';

/** an INVITE that passes RFC 3261 §8.2's checks: refused by admission */
const invite = (s: Source, t: Transport): Outcome => (s === 'stranger' ? 403 : t === 'tls' ? 404 : 403);
/** an OPTIONS that passes them: Meta's keep-alive answer, nothing to a stranger */
const options = (s: Source): Outcome => (s === 'meta' ? 200 : 'drop');
/** a method we know and do not take (REGISTER, MESSAGE): 405 with Allow to Meta, nothing to a stranger */
const notAllowed = (s: Source): Outcome => (s === 'meta' ? 405 : 'drop');
const always = (o: Outcome) => (): Outcome => o;

/** the outcome, or the outcomes that are equally right (the reason says why there are two) */
type Rule = (s: Source, t: Transport) => Outcome | Outcome[];

export const EXPECTED: Record<string, { rule: Rule; why: string }> = {
  // 3.1.1 valid messages
  wsinv: { rule: always(481), why: 'an INVITE with a To tag matching no dialog: 481 (RFC 3261 §12.2.2), from drachtio-server' },
  intmeth: { rule: always('drop'), why: 'unknown method: RFC 3261 says 501; drachtio-server v0.9 discards unknown methods before any app sees them' },
  esc01: { rule: invite, why: 'valid INVITE' },
  escnull: { rule: notAllowed, why: 'valid REGISTER (escaped nulls in URIs)' },
  esc02: { rule: always('drop'), why: '"RE%47IST%45R" is not REGISTER but an unknown method: discarded by drachtio-server (RFC: 501)' },
  lwsdisp: { rule: options, why: 'valid OPTIONS' },
  longreq: { rule: invite, why: 'valid INVITE with long header values' },
  dblreq: { rule: (s, t) => (stream(t) ? 'drop' : notAllowed(s)), why: 'a REGISTER, the trailing octets ignored over UDP; on a stream they start a second, incomplete message and the REGISTER gets no answer' },
  semiuri: { rule: options, why: 'valid OPTIONS' },
  transports: { rule: options, why: 'valid OPTIONS with unknown transports in lower Vias' },
  mpart01: { rule: always(400), why: 'valid per RFC 4475, but drachtio-server\'s SIP stack answers 400 to this MESSAGE (binary multipart body) before any app sees it' },
  unreason: { rule: always('drop'), why: 'a response to nothing we sent: ignored' },
  noreason: { rule: always('drop'), why: 'a response to nothing we sent: ignored' },
  // 3.1.2 invalid messages
  badinv01: { rule: always('drop'), why: 'extraneous separators; its Via cannot be parsed, so there is nowhere to send a 400 (over TCP/TLS the stack closes the connection)' },
  clerr: { rule: (_s, t) => (t === 'udp' ? 400 : 'drop'), why: 'Content-Length larger than the message: 400 over UDP; on a stream the server waits for the rest' },
  ncl: { rule: always(400), why: 'negative Content-Length' },
  scalar02: { rule: always(400), why: 'overlarge scalar values' },
  scalarlg: { rule: always('drop'), why: 'a response to nothing we sent: ignored' },
  quotbal: { rule: always(400), why: 'unterminated quoted string' },
  ltgtruri: { rule: always(400), why: '<> around the Request-URI' },
  lwsruri: { rule: always('drop'), why: 'LWS inside the Request-URI: drachtio-server\'s SIP stack takes it for garbage and drops it (RFC 4475 allows 400)' },
  lwsstart: { rule: always('drop'), why: 'several SP in the Request-Line: drachtio-server passes it on, drachtio-srf cannot parse it; dropped and counted (UNPARSEABLE; RFC 4475 allows 400)' },
  trws: { rule: options, why: 'SP after SIP/2.0: both parsers are liberal and take it (RFC 4475 allows either)' },
  escruri: { rule: invite, why: 'escaped headers in the Request-URI: RFC 4475 allows ignoring them' },
  baddate: { rule: always(400), why: 'a non-GMT Date: drachtio-server rejects it, which RFC 4475 allows' },
  regbadct: { rule: always(400), why: 'a name-addr URI with parameters outside <>: 400 Bad Contact Header from drachtio-server' },
  badaspec: { rule: options, why: 'spaces inside an addr-spec: taken liberally, which RFC 4475 allows' },
  baddn: { rule: (_s, t) => (stream(t) ? [400, 'drop'] : 400), why: 'non-token characters in a display name: 400 Bad From Header; on a stream the stack closes the connection right after it, so the 400 may be lost' },
  badvers: { rule: (_s, t) => (stream(t) ? 505 : 'drop'), why: 'SIP/7.0: 505; over UDP the stack sends it to the Via\'s host (c.example.com), not back to the source' },
  mismatch01: { rule: always(400), why: 'CSeq method differs from the Request-Line' },
  mismatch02: { rule: always(400), why: 'unknown method with a CSeq method mismatch' },
  bigcode: { rule: always('drop'), why: 'an overlarge response code, to nothing we sent: ignored' },
  // 3.2 transaction layer
  badbranch: { rule: options, why: 'a branch that is only the magic cookie: still a request' },
  // 3.3 application layer
  insuf: { rule: always(400), why: 'Call-ID, From and To missing' },
  unkscm: { rule: (s) => (s === 'meta' ? 416 : 'drop'), why: 'unknown Request-URI scheme: 416 (RFC 3261 §8.2.2.1)' },
  novelsc: { rule: (s) => (s === 'meta' ? 416 : 'drop'), why: 'a scheme we do not route (soap.beep): 416' },
  unksm2: { rule: notAllowed, why: 'a REGISTER with unknown schemes in To and Contact' },
  bext01: { rule: (s) => (s === 'meta' ? 420 : 'drop'), why: 'unknown option-tags in Require: 420 with Unsupported (RFC 3261 §8.2.2.3)' },
  invut: { rule: invite, why: 'unknown Content-Type: refused by admission before the body is read' },
  regaut01: { rule: notAllowed, why: 'a REGISTER with an unknown Authorization scheme' },
  multi01: { rule: always(400), why: 'several values in single-value header fields' },
  mcl01: { rule: always(400), why: 'several Content-Length values' },
  bcast: { rule: always('drop'), why: 'a response (with a broadcast Via) to nothing we sent: ignored' },
  zeromf: { rule: options, why: 'Max-Forwards 0 is for proxies: a UAS answers' },
  cparam01: { rule: notAllowed, why: 'a REGISTER with a Contact parameter' },
  cparam02: { rule: notAllowed, why: 'a REGISTER with a URI parameter' },
  regescrt: { rule: notAllowed, why: 'a REGISTER with an escaped header in a Contact URI' },
  sdp01: { rule: invite, why: 'an INVITE whose Accept excludes SDP: refused by admission' },
  // 3.4 backward compatibility
  inv2543: { rule: (s, t) => (stream(t) ? 400 : invite(s, t)), why: 'an RFC 2543 INVITE: taken over UDP; it has no Content-Length, which a stream requires (RFC 3261 §20.14): 400' },
};
