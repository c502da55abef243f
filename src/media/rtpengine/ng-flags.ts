import type { NgDict } from './ng-client';

/**
 * The ng flags of the Meta leg of a DTLS call (issue 11). rtpengine sits between Meta and
 * FreeSWITCH: toward Meta ICE (rtpengine controlling, Meta being ICE-lite), DTLS-SRTP with
 * rtpengine the DTLS client (`a=setup:active`), no SDES key at all (without `SDES: off`
 * rtpengine sends its first packets SDES-keyed before DTLS is up), RTCP multiplexed;
 * toward FreeSWITCH plain RTP/AVP, no ICE, no DTLS, RTCP on its own port.
 * An ng `offer` describes the SDP rtpengine sends on (to the answerer), `answer` the one
 * back to the offerer; `direction` names rtpengine's interfaces, from the offerer's side.
 */

export interface Interfaces {
  /** rtpengine's interface toward Meta ('' = its default) */
  meta: string;
  /** rtpengine's interface toward FreeSWITCH ('' = its default) */
  freeswitch: string;
}

const TOWARD_META: NgDict = {
  'transport-protocol': 'UDP/TLS/RTP/SAVPF',
  ICE: 'force',
  DTLS: 'active',
  SDES: ['off'],
  'rtcp-mux': ['require'],
};

const TOWARD_FREESWITCH: NgDict = {
  'transport-protocol': 'RTP/AVP',
  ICE: 'remove',
  DTLS: 'off',
  'rtcp-mux': ['demux'],
  // FreeSWITCH's sofia profile is IPv4 even when Meta's side is IPv6
  'address family': 'IP4',
};

function direction(from: string, to: string): NgDict {
  return from && to ? { direction: [from, to] } : {};
}

/** Meta's offer (a user-initiated call) → the plain offer FreeSWITCH answers */
export function inboundOffer(callId: string, sdp: string, i: Interfaces): NgDict {
  return { 'call-id': callId, 'from-tag': 'meta', sdp, ...TOWARD_FREESWITCH, ...direction(i.meta, i.freeswitch) };
}

/** FreeSWITCH's answer → our answer to Meta */
export function inboundAnswer(callId: string, sdp: string): NgDict {
  return { 'call-id': callId, 'from-tag': 'meta', 'to-tag': 'freeswitch', sdp, ...TOWARD_META };
}

/** FreeSWITCH's plain offer (a business-initiated call) → our offer to Meta */
export function outboundOffer(callId: string, sdp: string, i: Interfaces): NgDict {
  return { 'call-id': callId, 'from-tag': 'freeswitch', sdp, ...TOWARD_META, ...direction(i.freeswitch, i.meta) };
}

/** Meta's answer → the plain answer FreeSWITCH gets */
export function outboundAnswer(callId: string, sdp: string): NgDict {
  return { 'call-id': callId, 'from-tag': 'freeswitch', 'to-tag': 'meta', sdp, ...TOWARD_FREESWITCH };
}
