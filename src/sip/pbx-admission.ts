import type { DigestServer } from '../auth/digest-server';
import type { BusinessNumber, PbxTarget } from '../config/types';
import { warningHeader } from '../call/refusal-causes';
import { checkPbxOffer } from '../sdp/pbx-offer';
import { addressSet, type AddressSet } from '../util/cidr';
import { normalizeDialed } from './dial-plan';
import { reject, type Rejection } from './errors';
import type { InviteView } from './invite-view';
import { businessCallingUnavailable } from './meta-countries';
import type { NonceProof } from './nonce-proof';
import { pbxProof } from './pbx-trust';

/**
 * Admission of a call from a PBX (SPEC P3, R1, R5): the source identifies the PBX, its
 * digest (when configured) authenticates it, a UDP source alone only when the PBX is
 * configured so (pbx-trust.ts), the dialed number becomes E.164, one of the PBX's own
 * business numbers is chosen to call from (one of a country where Meta offers no
 * business-initiated calling is refused, unless its country_rule allows it), and the offer is
 * checked. Nothing reaches Meta before this.
 */

export interface OutboundCall {
  pbx: PbxTarget;
  /** the WhatsApp user, E.164 */
  dialed: string;
  business: BusinessNumber;
  /** the nonce that authenticated the INVITE, when the PBX is challenged (shared-nonces.ts) */
  proof?: NonceProof;
}

export class PbxAdmission {
  private readonly sources: { pbx: PbxTarget; set: AddressSet }[];
  private readonly numbers: Map<string, BusinessNumber>;

  /** `hostname`: ours, the warn-agent of the Warning headers we send (meta.hostname) */
  constructor(pbxs: readonly PbxTarget[], numbers: readonly BusinessNumber[], private readonly digest: DigestServer, private readonly hostname = '') {
    this.sources = pbxs.map((pbx) => ({ pbx, set: addressSet(pbx.allow_sources) }));
    this.numbers = new Map(numbers.map((n) => [n.number, n]));
  }

  /** trunk identification: the PBX whose allow_sources hold this address */
  identify(address: string): PbxTarget | null {
    return this.sources.find((s) => s.set.has(address))?.pbx ?? null;
  }

  admit(req: InviteView, pbx: PbxTarget): OutboundCall | Rejection {
    const trust = pbxProof(pbx, req.protocol);
    if (trust === 'refuse') {
      return reject('UDP_SOURCE_UNTRUSTED', `PBX ${pbx.name}: INVITE over UDP and the PBX has neither inbound_auth nor trust_udp_source`);
    }
    let proof: NonceProof | undefined;
    if (trust === 'digest' && pbx.inbound_auth) {
      const r = this.digest.verify(req.get('Proxy-Authorization'), 'INVITE', pbx.inbound_auth);
      if (!r.ok && (r.reason === 'missing' || r.reason === 'stale' || r.reason === 'replayed')) {
        return reject('AUTH_CHALLENGE_PROXY', `PBX ${pbx.name}: ${r.reason}`, { 'Proxy-Authenticate': this.digest.challenge(r.reason !== 'missing') });
      }
      if (!r.ok) return reject('AUTH_FAILED', `PBX ${pbx.name}: digest ${r.reason}`);
      proof = { nonce: r.nonce, replayed: reject('AUTH_CHALLENGE_PROXY', `PBX ${pbx.name}: nonce replayed (used at another instance)`, { 'Proxy-Authenticate': this.digest.challenge(true) }) };
    }
    const user = /^sips?:([^@;]+)[@;]/i.exec(req.uri)?.[1] ?? '';
    const dialed = normalizeDialed(user, pbx.dialing);
    if (!dialed) return reject('ADDRESS_INCOMPLETE', `PBX ${pbx.name} dialed ${JSON.stringify(user.slice(0, 40))}: not a number`);
    const business = this.chooseBusiness(req, pbx, dialed);
    if (!business) return reject('NO_BUSINESS_NUMBER', `PBX ${pbx.name}: no business number to call ${dialed} from`);
    if ('code' in business) return business;
    const country = business.country_rule === 'refuse' ? businessCallingUnavailable(business.number) : null;
    if (country) {
      const text = `Meta offers no business-initiated calls from business numbers of ${country}`;
      return reject('BUSINESS_CALLING_UNAVAILABLE', `PBX ${pbx.name}: agent call from ${business.number}: ${text} (country_rule: refuse)`, { Warning: warningHeader(this.hostname, text) });
    }
    const offer = checkPbxOffer(req.body);
    if (!offer.ok) return reject(offer.kind, offer.detail);
    return proof ? { pbx, dialed, business, proof } : { pbx, dialed, business };
  }

  /**
   * the header the PBX set, else the longest matching dialed prefix, else the PBX's default.
   * The header may choose only the numbers listed for this PBX (business_number,
   * business_numbers_by_prefix, business_numbers), never another PBX's.
   */
  private chooseBusiness(req: InviteView, pbx: PbxTarget, dialed: string): BusinessNumber | Rejection | null {
    const fromHeader = pbx.business_number_header ? req.get(pbx.business_number_header)?.trim() : undefined;
    if (fromHeader) {
      const wanted = fromHeader.startsWith('+') ? fromHeader : `+${fromHeader}`;
      const mine = businessNumbersOf(pbx);
      if (!mine.has(wanted)) {
        return reject('BUSINESS_NUMBER_NOT_ALLOWED', `PBX ${pbx.name} chose ${JSON.stringify(wanted.slice(0, 20))} in ${pbx.business_number_header}: not one of its numbers (${[...mine].join(', ') || 'none'})`);
      }
      return this.numbers.get(wanted) ?? null;
    }
    const byPrefix = [...pbx.business_numbers_by_prefix]
      .sort((a, b) => b.prefix.length - a.prefix.length)
      .find((p) => dialed.startsWith(p.prefix));
    return this.numbers.get(byPrefix?.number ?? pbx.business_number) ?? null;
  }
}

/** the business numbers a PBX may place calls from */
export function businessNumbersOf(pbx: Pick<PbxTarget, 'business_number' | 'business_numbers_by_prefix' | 'business_numbers'>): Set<string> {
  return new Set([pbx.business_number, ...pbx.business_numbers_by_prefix.map((b) => b.number), ...pbx.business_numbers].filter(Boolean));
}
