import type { SipMessage } from './message';

/**
 * A SIP dialog as a test peer keeps it (RFC 3261 §12), and the requests sent in it: the
 * shape `test-call`'s Meta client and the test bed's SIP peers share.
 */

export interface Dialog {
  callId: string;
  localTag: string;
  remoteTag: string;
  /** the far end's Contact URI (Request-URI of our in-dialog requests) */
  remoteTarget: string;
  localUri: string;
  remoteUri: string;
  /** Route headers for our in-dialog requests */
  routes: string[];
  cseq: number;
}

/** a request in `d` with CSeq number `seq` (the caller decides it: an ACK for a 2xx keeps its INVITE's) */
export function dialogRequest(d: Dialog, method: string, via: string, seq: number, extra: [string, string][] = [], body = ''): SipMessage {
  return {
    method,
    uri: d.remoteTarget,
    headers: [
      ['Via', via],
      ...d.routes.map((r): [string, string] => ['Route', r]),
      ['Max-Forwards', '70'],
      ['From', `<${d.localUri}>;tag=${d.localTag}`],
      ['To', `<${d.remoteUri}>;tag=${d.remoteTag}`],
      ['Call-ID', d.callId],
      ['CSeq', `${seq} ${method}`],
      ...extra,
    ],
    body,
  };
}
