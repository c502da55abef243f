/**
 * The SDP a leg sends over one dialog keeps its `o=` username and session id, and its
 * version goes up by one exactly when the description changes (RFC 3264 §8, RFC 4566
 * §5.2). FreeSWITCH's SDP (and our own direction rewriting) are passed through this
 * before they leave toward the PBX or Meta.
 */
export class SdpVersion {
  private origin: { user: string; session: string; version: bigint; rest: string } | null;
  private lastBody: string;

  /** `first`: the SDP already sent on this dialog (offer or answer of the set-up) */
  constructor(first: string) {
    this.origin = parseOrigin(first);
    this.lastBody = withoutOrigin(first);
  }

  /** `sdp` as it must be sent now: our origin, the version bumped if anything else changed */
  next(sdp: string): string {
    if (!this.origin) return sdp;
    const body = withoutOrigin(sdp);
    if (body !== this.lastBody) {
      this.origin.version += 1n;
      this.lastBody = body;
    }
    const o = this.origin;
    const line = `o=${o.user} ${o.session} ${o.version} ${o.rest}`;
    return /^o=.*$/m.test(sdp) ? sdp.replace(/^o=.*$/m, line) : sdp;
  }
}

function parseOrigin(sdp: string): { user: string; session: string; version: bigint; rest: string } | null {
  const m = /^o=(\S+) (\S+) (\d+) (.+?)\r?$/m.exec(sdp);
  if (!m) return null;
  return { user: m[1]!, session: m[2]!, version: BigInt(m[3]!), rest: m[4]! };
}

function withoutOrigin(sdp: string): string {
  return sdp.replace(/^o=.*$/m, '').replace(/\r\n/g, '\n').trim();
}
