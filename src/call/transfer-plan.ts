import type { InboundCall } from '../sip/meta-admission';
import type { OutboundCall } from '../sip/pbx-admission';
import type { SipSignaling } from '../sip/srf-types';
import type { TransferPlan } from './blind-transfer';
import { PbxFarSide } from './pbx-far-side';

/**
 * Where a blind transfer may go and how the target is rung: the call's own PBX, dialed as
 * the call itself was (PbxFarSide: caller ID = the WhatsApp user, Meta's X- headers, the
 * PBX's credentials), with the REFER's Referred-By (RFC 3892) added.
 */
export function userCallTransfers(sip: SipSignaling, call: InboundCall, ourHost: string): TransferPlan {
  return {
    pbx: call.pbx,
    dialer: (extension, headers) => new PbxFarSide(sip, { ...call, destination: extension, pbxHeaders: { ...call.pbxHeaders, ...headers } }, ourHost),
  };
}

/** an agent's call to a WhatsApp user, transferred by the PBX: the target sees the WhatsApp user calling */
export function agentCallTransfers(sip: SipSignaling, call: OutboundCall, ourHost: string): TransferPlan {
  return {
    pbx: call.pbx,
    dialer: (extension, headers) => new PbxFarSide(sip, { business: call.business, caller: call.dialed, userId: null, wacid: null, pbx: call.pbx, destination: extension, pbxHeaders: headers }, ourHost),
  };
}
