/**
 * DtlsMediaPeer: Meta's media edge in its default DTLS-SRTP mode, for the test bed (issue 11)
 * and for `test-call --srtp dtls` (issue 14).
 *
 * What it is: ICE-lite (answers STUN checks, never sends one), DTLS server (never starts the
 * handshake; `a=setup:actpass` in its offers, `passive` in its answers), the client's
 * certificate checked against the other side's `a=fingerprint`, SRTP keys from the
 * DTLS-SRTP exporter (RFC 5764 §4.2, SRTP_AES128_CM_HMAC_SHA1_80), rtcp-mux, BUNDLE, one
 * IPv4 host candidate (plus one on ::1 when `ipv6Host` is given). The media is an RtpPeer
 * (src/testcall/media): Opus tone frames with one SSRC, decode, tone detection, RFC 4733
 * DTMF both ways, auth-failure and SSRC counts; its packets leave only once DTLS is done.
 *
 * API:
 *   const peer = await DtlsMediaPeer.open({ host: '127.0.0.1', payloadType: 111, dtmfPayloadType: 126 });
 *   // user-initiated call (Meta offers):
 *   const offer = peer.offer();              // Meta's DTLS offer, actpass, ice-lite
 *   peer.acceptAnswer(answerSdp);            // the gateway's answer (must say setup:active)
 *   // business-initiated call (the gateway offers):
 *   const answer = peer.answer(offerSdp);    // passive, ice-lite; payload types from the offer
 *   await peer.connected();                  // DTLS done (rejects on a handshake failure)
 *   peer.rtp.startTone(440); await peer.rtp.sendDtmf('5'); peer.rtp.receivedPcm(); ...
 *   peer.ice.checks[i].{controlling, controlled, useCandidate, at}; peer.ice.firstCheckAt;
 *   peer.ice.nominated; peer.dtls.{connectedAt, failure, clientFingerprint, profile} (of the first
 *   handshake to end; peer.dtls.all lists one association per remote address, see dtls-associations.ts);
 *   peer.rtp.{firstPacketAt, receivedSsrcs, authFailures}; peer.unvalidated (DTLS/RTP from
 *   an address that passed no check); peer.remote (the other side's SDP, parsed)
 *   await peer.close();
 * With `payloadType` matching the SDP's opus PT: answer() throws if the offer's opus PT
 * differs from the one the peer was opened with (open the peer after reading the offer).
 */
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import { RtpPeer } from './rtp-peer';
import { metaDtlsAnswer, metaDtlsOffer, parseDtlsSdp, type RemoteDtlsSdp } from '../dtls-sdp';
import { DtlsAssociations } from './dtls-associations';
import { newDtlsIdentity, type DtlsIdentity, type SrtpProfileName } from './dtls-srtp-server';
import { IceLiteResponder } from './ice-lite-responder';
import { looksLikeStun } from './stun';

export interface DtlsPeerOptions {
  /** loopback IPv4 address of the host candidate */
  host: string;
  /** adds a host candidate on this IPv6 address (e.g. ::1), same port when free */
  ipv6Host?: string;
  port?: number;
  /** Opus/48000 payload type the peer sends and decodes */
  payloadType: number;
  dtmfPayloadType: number;
  profiles?: SrtpProfileName[];
  /** a ready certificate (generating one takes a few ms) */
  identity?: DtlsIdentity;
  /**
   * Checks from a source this refuses go unanswered (counted in `ice.ignored`), as if that
   * path did not exist: the unit tests keep a libwebrtc client, which sends checks from
   * every interface it has, on its loopback pair. Default: every source is answered.
   */
  acceptFrom?: (address: string) => boolean;
}

const ICE_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const iceString = (n: number) => [...randomBytes(n)].map((b) => ICE_CHARS[b % ICE_CHARS.length]).join('');

type Deferred = { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void };
function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  promise.catch(() => undefined); // awaited by connected(); never an unhandled rejection
  return { promise, resolve, reject };
}

export class DtlsMediaPeer {
  readonly ice: IceLiteResponder;
  /** the DTLS associations (one per remote address) and a summary of them */
  readonly dtls: DtlsAssociations;
  /** the other side's SDP (answer or offer), parsed; null until given */
  remote: RemoteDtlsSdp | null = null;
  /** DTLS or RTP datagrams from an address that had passed no STUN check (dropped) */
  unvalidated = 0;
  private readonly done = deferred();

  private constructor(
    readonly rtp: RtpPeer,
    private readonly v6: { socket: dgram.Socket; host: string; port: number } | null,
    readonly identity: DtlsIdentity,
    private readonly opts: DtlsPeerOptions,
  ) {
    this.ice = new IceLiteResponder(iceString(16), iceString(24), (m, host, port) => this.send(m, host, port), opts.acceptFrom);
    this.dtls = new DtlsAssociations(identity, opts.profiles, (m, [host, port]) => this.send(m, host, port));
    this.ice.onNominated = (to) => {
      rtp.setRemote(to.address, to.port);
      this.dtls.nominate(to);
    };
    this.dtls.onKeys = (srtp) => rtp.setSrtpSession(srtp);
    this.dtls.onConnected = () => this.done.resolve();
    this.dtls.onFailed = (why) => this.done.reject(new Error(`DTLS handshake failed: ${why}`));
    rtp.interceptor = (msg, from) => this.demux(msg, from);
    if (v6) {
      rtp.sendVia = (wire, host, port) => this.send(wire, host, port);
      v6.socket.on('message', (msg, rinfo) => rtp.injectDatagram(msg, rinfo));
    }
  }

  static async open(opts: DtlsPeerOptions): Promise<DtlsMediaPeer> {
    const identity = opts.identity ?? (await newDtlsIdentity());
    const rtp = await RtpPeer.open({ host: opts.host, port: opts.port, codec: 'OPUS', payloadType: opts.payloadType, dtmfPayloadType: opts.dtmfPayloadType, srtp: 'external' });
    let v6: { socket: dgram.Socket; host: string; port: number } | null = null;
    if (opts.ipv6Host) {
      const host = opts.ipv6Host;
      const socket = await bindUdp6(host, rtp.port).catch(() => bindUdp6(host, 0));
      socket.on('error', () => undefined);
      v6 = { socket, host, port: socket.address().port };
    }
    return new DtlsMediaPeer(rtp, v6, identity, opts);
  }

  get ufrag(): string {
    return this.ice.ufrag;
  }

  /** this peer's host candidates, IPv4 first */
  get candidates(): { ip: string; port: number }[] {
    return [{ ip: this.rtp.host, port: this.rtp.port }, ...(this.v6 ? [{ ip: this.v6.host, port: this.v6.port }] : [])];
  }

  /** Meta's offer (user-initiated call): a=setup:actpass, ice-lite, BUNDLE */
  offer(): string {
    return metaDtlsOffer(this.sdpParams());
  }

  /** the gateway's answer to offer(): its fingerprint is what the DTLS client must present */
  acceptAnswer(sdp: string): RemoteDtlsSdp {
    return this.takeRemote(sdp);
  }

  /** Meta's answer to the gateway's offer (business-initiated call): a=setup:passive */
  answer(offerSdp: string): string {
    const remote = this.takeRemote(offerSdp);
    if (remote.opusPt !== null && remote.opusPt !== this.opts.payloadType) {
      throw new Error(`the offer's opus payload type is ${remote.opusPt}, the peer was opened with ${this.opts.payloadType}`);
    }
    return metaDtlsAnswer({ ...this.sdpParams(), dtmfPt: remote.dtmfPt ?? this.opts.dtmfPayloadType, mid: remote.mid ?? 'audio' });
  }

  /** resolves when the DTLS handshake is done and SRTP keyed; rejects when it failed or after `timeoutMs` */
  async connected(timeoutMs = 5000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`DTLS not connected after ${timeoutMs} ms (${this.ice.checks.length} ICE checks received)`)), timeoutMs);
    });
    try {
      await Promise.race([this.done.promise, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    this.dtls.close();
    await this.rtp.close();
    const v6 = this.v6;
    if (v6) await new Promise<void>((resolve) => v6.socket.close(() => resolve()));
  }

  private sdpParams() {
    return {
      candidates: this.candidates,
      ufrag: this.ice.ufrag,
      pwd: this.ice.pwd,
      fingerprint: this.identity.fingerprint,
      opusPt: this.opts.payloadType,
      dtmfPt: this.opts.dtmfPayloadType,
      ssrc: this.rtp.ssrc,
    };
  }

  private takeRemote(sdp: string): RemoteDtlsSdp {
    const remote = parseDtlsSdp(sdp);
    this.remote = remote;
    if (remote.fingerprint) this.dtls.expectFingerprint(remote.fingerprint);
    return remote;
  }

  /** RFC 7983: STUN 0..3, DTLS 20..63, RTP/RTCP 128..191 (left to the RtpPeer) */
  private demux(msg: Buffer, from: { address: string; port: number }): boolean {
    const first = msg[0] ?? 0;
    if (first < 4) {
      if (looksLikeStun(msg)) this.ice.handle(msg, from);
      return true;
    }
    const validated = this.ice.isValidated(from);
    if (first >= 20 && first <= 63) {
      if (validated) this.dtls.handle(msg, from);
      else this.unvalidated++;
      return true;
    }
    if (first >= 128 && first <= 191 && !validated) {
      this.unvalidated++;
      return true;
    }
    return false;
  }

  private send(msg: Buffer, host: string, port: number): void {
    if (isIPv6(host) && this.v6) this.v6.socket.send(msg, port, host);
    else this.rtp.sendDatagram(msg, host, port);
  }
}

function bindUdp6(host: string, port: number): Promise<dgram.Socket> {
  const socket = dgram.createSocket({ type: 'udp6', ipv6Only: true });
  return new Promise((resolve, reject) => {
    socket.once('error', (e) => {
      socket.close();
      reject(e);
    });
    socket.bind(port, host, () => resolve(socket));
  });
}
