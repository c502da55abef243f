import type { DigestServer } from '../auth/digest-server';
import type { BusinessNumber, MetaConfig, PbxTarget, RouteRule } from '../config/types';
import { checkMetaOffer } from '../sdp/meta-offer';
import { addressSet, type AddressSet } from '../util/cidr';
import { reject, type Rejection } from './errors';
import { callerNumber, callerUserId, metaValuesAsHeaders, parseMetaRequestUri, wacidOf } from './meta-trunk';
import type { InviteView } from './invite-view';
import type { NonceProof } from './nonce-proof';

/**
 * Admission of a call from Meta (SPEC M1-M3, R1, R2): transport and source, Request-URI,
 * known business number, digest, SDP policy, route. Each step returns a Rejection or
 * lets the next run; nothing here creates media or a B-leg.
 */

export interface InboundCall {
  business: BusinessNumber;
  /** the WhatsApp user's E.164, or null when Meta gives none (withheld, or a business-scoped user id) */
  caller: string | null;
  /** Meta's business-scoped user id, when the user is identified by one rather than a number */
  userId: string | null;
  wacid: string | null;
  pbx: PbxTarget;
  destination: string;
  /** Meta's values (x-wa-meta-*, trunk-group params) as headers for the PBX */
  pbxHeaders: Record<string, string>;
  /** the nonce that authenticated the INVITE: other gateway instances must not have taken it (shared-nonces.ts) */
  proof?: NonceProof;
}

export interface MetaAdmissionDeps {
  meta: MetaConfig;
  numbers: readonly BusinessNumber[];
  pbxs: readonly PbxTarget[];
  digest: DigestServer;
  /** the DTLS terminator (rtpengine, issue 11): none configured, answering, or not; absent: off */
  dtls?: () => 'off' | 'up' | 'down';
}

export class MetaAdmission {
  private readonly sources: AddressSet;
  private readonly numbers: Map<string, BusinessNumber>;
  private readonly pbxs: Map<string, PbxTarget>;

  constructor(private readonly deps: MetaAdmissionDeps) {
    this.sources = addressSet(deps.meta.source_ranges);
    this.numbers = new Map(deps.numbers.map((n) => [n.number, n]));
    this.pbxs = new Map(deps.pbxs.map((p) => [p.name, p]));
  }

  /** trunk identification: does this request come from Meta's address space? */
  isMetaSource(address: string): boolean {
    return this.sources.has(address);
  }

  admit(req: InviteView): InboundCall | Rejection {
    if (this.deps.meta.require_tls && req.protocol !== 'tls') {
      return reject('TLS_REQUIRED', `Meta INVITE over ${req.protocol}`);
    }
    const ruri = parseMetaRequestUri(req.uri);
    if (!ruri) return reject('BAD_REQUEST_URI', `Request-URI ${req.uri} has no E.164 user`);
    const business = this.numbers.get(ruri.number);
    if (!business) return reject('UNKNOWN_NUMBER', `no business number ${ruri.number} configured`);

    const proof = this.authenticate(req, business);
    if ('code' in proof) return proof;

    const dtls = this.deps.dtls?.() ?? 'off';
    const offer = checkMetaOffer(req.body, { dtls: dtls !== 'off' });
    if (!offer.ok) return reject(offer.kind, offer.detail);
    if (offer.keyExchange === 'dtls' && dtls === 'down') return reject('DTLS_UNAVAILABLE', 'DTLS-SRTP offer while rtpengine is not answering');

    const payloads = {
      cta_payload: req.get('x-wa-meta-cta-payload') ?? '',
      deeplink_payload: req.get('x-wa-meta-deeplink-payload') ?? '',
      tgrp: ruri.userParams.tgrp ?? '',
      trunk_context: ruri.userParams['trunk-context'] ?? '',
    };
    const rule = business.routes.find((r) => matches(r, payloads));
    const pbx = rule && this.pbxs.get(rule.pbx);
    if (!rule || !pbx) return reject('INTERNAL', `no route for ${business.number}`);

    const from = req.get('From');
    const userId = callerUserId(from);
    const pbxHeaders = metaValuesAsHeaders(req.headers, ruri.userParams, pbx.header_prefix);
    // Meta's user id reaches the PBX even when only the From carries it
    if (userId) pbxHeaders[`${pbx.header_prefix}User-Id`] ??= userId;
    return {
      business,
      caller: callerNumber(from),
      userId,
      wacid: wacidOf(req.callId, req.get('x-wa-meta-wacid')),
      pbx,
      destination: rule.destination,
      pbxHeaders,
      proof,
    };
  }

  /** digest (SPEC M3): username = business digits, password = the number's Meta SIP password */
  private authenticate(req: InviteView, business: BusinessNumber): Rejection | NonceProof {
    const proxy = this.deps.meta.challenge_status === 407;
    const header = req.get(proxy ? 'Proxy-Authorization' : 'Authorization');
    const challengeName = proxy ? 'Proxy-Authenticate' : 'WWW-Authenticate';
    const challengeCode = proxy ? 'AUTH_CHALLENGE_PROXY' : 'AUTH_CHALLENGE_WWW';
    const result = this.deps.digest.verify(header, 'INVITE', {
      username: business.number.slice(1),
      password: business.sip_password,
    });
    if (result.ok) {
      return { nonce: result.nonce, replayed: reject(challengeCode, 'nonce replayed (used at another instance): fresh challenge', { [challengeName]: this.deps.digest.challenge(true) }) };
    }
    switch (result.reason) {
      case 'missing':
        return reject(challengeCode, 'no credentials: challenge', { [challengeName]: this.deps.digest.challenge() });
      case 'stale':
      case 'replayed':
        return reject(challengeCode, `nonce ${result.reason}: fresh challenge`, {
          [challengeName]: this.deps.digest.challenge(true),
        });
      default:
        return reject('AUTH_FAILED', `digest ${result.reason} for ${business.number}`);
    }
  }
}

function matches(rule: RouteRule, values: Record<keyof RouteRule['when'], string>): boolean {
  return (Object.keys(rule.when) as (keyof RouteRule['when'])[]).every(
    (k) => !rule.when[k] || rule.when[k] === values[k],
  );
}
