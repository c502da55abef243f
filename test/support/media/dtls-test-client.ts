/**
 * A bare ICE-controlling DTLS client with raw RTP, for the DtlsMediaPeer's own unit tests:
 * what libwebrtc cannot do from JavaScript (send RFC 4733 events, send a check with chosen
 * attributes, or a wrong password). Its STUN is ours (stun.ts) and its DTLS is werift-dtls,
 * the peer's own libraries: interoperability is what the libwebrtc client proves; this one
 * proves the media behaviour and the peer's records.
 */
import { randomBytes } from 'node:crypto';
import { DtlsClient } from 'werift-dtls/lib/dtls/src'; // the package's "main" (lib/index.js) is not in the tarball
import { SrtpSession } from 'werift-rtp';
import { RtpPeer } from '../../../src/testcall/media/rtp-peer';
import type { RemoteDtlsSdp } from '../dtls-sdp';
import { newDtlsIdentity, type DtlsIdentity } from './dtls-srtp-server';
import { Attr, StunType, attribute, decodeStun, encodeStun, verifyIntegrity } from './stun';

type Address = readonly [string, number];

export interface CheckAttrs {
  controlling?: boolean;
  controlled?: boolean;
  useCandidate?: boolean;
  /** a wrong password, to be refused */
  pwd?: string;
}

export class DtlsTestClient {
  readonly ufrag = randomBytes(4).toString('hex');
  readonly pwd = randomBytes(12).toString('hex');
  /** STUN responses received: class (success/error) and whether MESSAGE-INTEGRITY verified with the peer's pwd */
  readonly responses: { success: boolean; integrity: boolean; errorCode: number | null }[] = [];
  /** STUN requests the peer sent us (an ICE-lite agent sends none) */
  requestsReceived = 0;
  connectedAt: number | null = null;
  /** the SRTP protection profile the handshake chose */
  profile: 1 | 7 | null = null;
  /** DTLS datagrams sent (a retransmitted flight shows up here) */
  dtlsSent = 0;
  private onData: (data: Buffer, addr: Address) => void = () => undefined;
  private dtls: DtlsClient | null = null;
  private waiters: (() => void)[] = [];

  private constructor(
    readonly rtp: RtpPeer,
    readonly identity: DtlsIdentity,
    private readonly remote: { ip: string; port: number; ufrag: string; pwd: string },
  ) {
    rtp.setRemote(remote.ip, remote.port);
    rtp.interceptor = (msg) => {
      const first = msg[0] ?? 0;
      if (first < 4) this.stunResponse(msg);
      else if (first >= 20 && first <= 63) this.onData(msg, [remote.ip, remote.port]);
      else return false;
      return true;
    };
  }

  /** a client for the peer whose offer or answer is `remote` (its first candidate) */
  /** `identity`: e.g. a certificate with another certificate's key, to be refused */
  static async open(remote: RemoteDtlsSdp, opts: { payloadType: number; dtmfPayloadType: number; identity?: DtlsIdentity }): Promise<DtlsTestClient> {
    const c = remote.candidates[0];
    if (!c || !remote.ufrag || !remote.pwd) throw new Error('the remote SDP has no candidate or ICE credentials');
    const rtp = await RtpPeer.open({ host: c.ip, codec: 'OPUS', payloadType: opts.payloadType, dtmfPayloadType: opts.dtmfPayloadType, srtp: 'external' });
    return new DtlsTestClient(rtp, opts.identity ?? (await newDtlsIdentity()), { ip: c.ip, port: c.port, ufrag: remote.ufrag, pwd: remote.pwd });
  }

  /** our answer to the peer's offer: the parts the peer reads (setup:active, fingerprint, ICE credentials) */
  answerSdp(opusPt: number, dtmfPt: number, fingerprint = this.identity.fingerprint): string {
    return [
      'v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=group:BUNDLE audio',
      `m=audio ${this.rtp.port} UDP/TLS/RTP/SAVPF ${opusPt} ${dtmfPt}`, `c=IN IP4 ${this.rtp.host}`,
      `a=candidate:1 1 udp 2130706431 ${this.rtp.host} ${this.rtp.port} typ host`,
      `a=ice-ufrag:${this.ufrag}`, `a=ice-pwd:${this.pwd}`, `a=fingerprint:${fingerprint}`, 'a=setup:active',
      'a=mid:audio', 'a=sendrecv', 'a=rtcp-mux', `a=rtpmap:${opusPt} opus/48000/2`, `a=rtpmap:${dtmfPt} telephone-event/8000`, '',
    ].join('\r\n');
  }

  /** sends one Binding request with the given attributes; resolves with the response */
  async check(a: CheckAttrs = { controlling: true, useCandidate: true }, timeoutMs = 2000): Promise<{ success: boolean; integrity: boolean; errorCode: number | null }> {
    const attrs: [number, Buffer][] = [[Attr.Username, Buffer.from(`${this.remote.ufrag}:${this.ufrag}`)]];
    const prio = Buffer.alloc(4);
    prio.writeUInt32BE(1853759231, 0);
    attrs.push([Attr.Priority, prio]);
    if (a.controlling) attrs.push([Attr.IceControlling, randomBytes(8)]);
    if (a.controlled) attrs.push([Attr.IceControlled, randomBytes(8)]);
    if (a.useCandidate) attrs.push([Attr.UseCandidate, Buffer.alloc(0)]);
    const before = this.responses.length;
    this.rtp.sendDatagram(encodeStun(StunType.BindingRequest, randomBytes(12), attrs, a.pwd ?? this.remote.pwd), this.remote.ip, this.remote.port);
    await this.until(() => this.responses.length > before, timeoutMs, 'a STUN response');
    return this.responses[before]!;
  }

  /**
   * The DTLS handshake as the client (setup:active); SRTP keyed when it resolves. `profiles`:
   * the use_srtp list offered, 1 = SRTP_AES128_CM_HMAC_SHA1_80, 7 = SRTP_AEAD_AES_128_GCM.
   */
  async connect(timeoutMs = 5000, profiles: (1 | 7)[] = [1]): Promise<void> {
    const transport = {
      type: 'udp',
      address: { address: this.rtp.host, family: 'IPv4', port: this.rtp.port },
      closed: false,
      send: async (data: Buffer) => {
        this.dtlsSent++;
        this.rtp.sendDatagram(data, this.remote.ip, this.remote.port);
      },
      close: async () => undefined,
      onData: this.onData,
    };
    const dtls = new DtlsClient({ transport, cert: this.identity.certPem, key: this.identity.keyPem, signatureHash: { hash: 4, signature: 3 }, srtpProfiles: profiles });
    this.onData = (d, addr) => transport.onData(d, addr);
    this.dtls = dtls;
    dtls.onConnect.subscribe(() => {
      const profile = dtls.srtp.srtpProfile === 7 ? 7 : 1;
      const k = dtls.extractSessionKeys(16, profile === 7 ? 12 : 14) as Record<'localKey' | 'localSalt' | 'remoteKey' | 'remoteSalt', Buffer>;
      this.profile = profile;
      this.rtp.setSrtpSession(new SrtpSession({ keys: { localMasterKey: k.localKey, localMasterSalt: k.localSalt, remoteMasterKey: k.remoteKey, remoteMasterSalt: k.remoteSalt }, profile }));
      this.connectedAt = Date.now();
      this.wake();
    });
    void dtls.connect().catch(() => undefined);
    await this.until(() => this.connectedAt !== null, timeoutMs, 'the DTLS handshake');
  }

  async close(): Promise<void> {
    this.dtls?.close();
    await this.rtp.close();
  }

  private stunResponse(msg: Buffer): void {
    const m = decodeStun(msg);
    if (m?.type === StunType.BindingRequest) this.requestsReceived++;
    if (!m || (m.type !== StunType.BindingSuccess && m.type !== StunType.BindingError)) return;
    const err = attribute(m, Attr.ErrorCode);
    this.responses.push({
      success: m.type === StunType.BindingSuccess,
      integrity: verifyIntegrity(m, this.remote.pwd),
      errorCode: err && err.length >= 4 ? (err[2]! & 7) * 100 + err[3]! : null,
    });
    this.wake();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  private async until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!cond()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => (clearTimeout(t), resolve()));
      });
    }
  }
}
