import type { DigestServer } from '../auth/digest-server';
import type { BusinessNumber, PbxTarget } from '../config/types';
import { checkPbxOffer } from '../sdp/pbx-offer';
import { addressSet, type AddressSet } from '../util/cidr';
import { normalizeDialed } from './dial-plan';
import { reject, type Rejection } from './errors';
import type { InviteView } from './invite-view';

/**
 * Admission of a call from a PBX (SPEC P3, R1): the source identifies the PBX, its digest
 * (when configured) authenticates it, the dialed number becomes E.164, a business number
 * is chosen to call from, and the offer is checked. Nothing reaches Meta before this.
 */

export interface OutboundCall {
  pbx: PbxTarget;
  /** the WhatsApp user, E.164 */
  dialed: string;
  business: BusinessNumber;
}

export class PbxAdmission {
  private readonly sources: { pbx: PbxTarget; set: AddressSet }[];
  private readonly numbers: Map<string, BusinessNumber>;

  constructor(pbxs: readonly PbxTarget[], numbers: readonly BusinessNumber[], private readonly digest: DigestServer) {
    this.sources = pbxs.map((pbx) => ({ pbx, set: addressSet(pbx.allow_sources) }));
    this.numbers = new Map(numbers.map((n) => [n.number, n]));
  }

  /** trunk identification: the PBX whose allow_sources hold this address */
  identify(address: string): PbxTarget | null {
    return this.sources.find((s) => s.set.has(address))?.pbx ?? null;
  }

  admit(req: InviteView, pbx: PbxTarget): OutboundCall | Rejection {
    if (pbx.inbound_auth) {
      const r = this.digest.verify(req.get('Proxy-Authorization'), 'INVITE', pbx.inbound_auth);
      if (!r.ok && (r.reason === 'missing' || r.reason === 'stale' || r.reason === 'replayed')) {
        return reject('AUTH_CHALLENGE_PROXY', `PBX ${pbx.name}: ${r.reason}`, { 'Proxy-Authenticate': this.digest.challenge(r.reason !== 'missing') });
      }
      if (!r.ok) return reject('AUTH_FAILED', `PBX ${pbx.name}: digest ${r.reason}`);
    }
    const user = /^sips?:([^@;]+)[@;]/i.exec(req.uri)?.[1] ?? '';
    const dialed = normalizeDialed(user, pbx.dialing);
    if (!dialed) return reject('ADDRESS_INCOMPLETE', `PBX ${pbx.name} dialed ${JSON.stringify(user)}: not a number`);
    const business = this.chooseBusiness(req, pbx, dialed);
    if (!business) return reject('NO_BUSINESS_NUMBER', `PBX ${pbx.name}: no business number to call ${dialed} from`);
    const offer = checkPbxOffer(req.body);
    if (!offer.ok) return reject(offer.kind, offer.detail);
    return { pbx, dialed, business };
  }

  /** the header the PBX set, else the longest matching dialed prefix, else the PBX's default */
  private chooseBusiness(req: InviteView, pbx: PbxTarget, dialed: string): BusinessNumber | null {
    const fromHeader = pbx.business_number_header ? req.get(pbx.business_number_header)?.trim() : undefined;
    if (fromHeader) return this.numbers.get(fromHeader.startsWith('+') ? fromHeader : `+${fromHeader}`) ?? null;
    const byPrefix = [...pbx.business_numbers_by_prefix]
      .sort((a, b) => b.prefix.length - a.prefix.length)
      .find((p) => dialed.startsWith(p.prefix));
    return this.numbers.get(byPrefix?.number ?? pbx.business_number) ?? null;
  }
}
