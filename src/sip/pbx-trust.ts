import type { PbxTarget } from '../config/types';

/**
 * How a PBX's INVITE proves where it comes from (SPEC R1, R5). A TCP or TLS source address
 * cannot be forged blindly (the handshake must complete), a UDP one can: one datagram with
 * the PBX's address as its source would otherwise place a call from the business number and
 * send the WhatsApp user's voice to whatever `c=` it names. So:
 *
 * - the PBX has `inbound_auth`: its INVITEs answer our digest challenge, over any transport;
 * - else over TCP/TLS: the source address suffices;
 * - else over UDP only with `trust_udp_source: true`, a choice the operator makes explicitly
 *   (and is warned about at start); otherwise 403.
 */
export type PbxProof = 'digest' | 'source' | 'refuse';

export function pbxProof(pbx: Pick<PbxTarget, 'inbound_auth' | 'trust_udp_source'>, protocol: string): PbxProof {
  if (pbx.inbound_auth) return 'digest';
  if (protocol.toLowerCase() !== 'udp') return 'source';
  return pbx.trust_udp_source ? 'source' : 'refuse';
}

export interface PbxTrustWarning {
  pbx: string;
  msg: string;
}

/** what the start-up log says about PBXs trusted on a UDP source, or whose UDP calls will be refused */
export function pbxTrustWarnings(pbxs: readonly PbxTarget[]): PbxTrustWarning[] {
  const out: PbxTrustWarning[] = [];
  for (const p of pbxs) {
    if (p.inbound_auth || p.allow_sources.length === 0) continue;
    if (p.trust_udp_source) {
      out.push({
        pbx: p.name,
        msg: `PBX ${p.name}: UDP INVITEs from ${p.allow_sources.join(', ')} are admitted on their source address alone (trust_udp_source: true); `
          + 'anyone who can forge that source can place calls from its business numbers. Prefer inbound_auth, or transport tcp/tls',
      });
    } else if (p.transport === 'udp') {
      out.push({
        pbx: p.name,
        msg: `PBX ${p.name}: its UDP INVITEs will be refused with 403 (no inbound_auth); calls to it work. To take its calls set `
          + 'inbound_auth (the gateway then challenges them), or trust_udp_source: true, or have the PBX send over TCP/TLS',
      });
    }
  }
  return out;
}
