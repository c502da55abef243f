/**
 * Receive side of RtpPeer: demuxes RTCP (rtcp-mux), authenticates/decrypts
 * SRTP, decodes audio to PCM in arrival order and parses RFC 4733 events, and
 * keeps the counters tests assert on.
 *
 * SRTP packets that fail authentication are counted in `authFailures` and
 * dropped, but the last few hundred are kept: when the remote key becomes known
 * later (`setSrtpRemoteKey`, e.g. from the SDP answer) they are retried, so
 * media that raced ahead of the answer is not lost. `authFailures` therefore
 * counts packets that did not authenticate with any key given so far.
 */
import { RtpPacket, type SrtpSession } from 'werift-rtp';
import type { FrameCodec } from './opus';
import { srtpSession } from './srtp-keys';
import { type DtmfEvent, parseTelephoneEvent } from './telephone-event';
import { concatPcm } from './tone';

const KEEP_UNAUTHENTICATED = 500;
/** audio packets kept in `audioPackets`: a minute of 20 ms packets */
const KEEP_AUDIO_PACKETS = 3000;

/** one decoded audio packet: where it sits in the stream, when it came, and how much PCM it gave */
export interface AudioPacket {
  seq: number;
  timestamp: number;
  at: number;
  samples: number;
}

interface Unauthenticated {
  msg: Buffer;
  at: number;
}

export class RtpReceiver {
  packetsReceived = 0;
  rtcpReceived = 0;
  authFailures = 0;
  decodeErrors = 0;
  invalidPackets = 0;
  /** Date.now() when the first (authenticated) RTP packet arrived */
  firstPacketAt: number | null = null;
  /** source of the first datagram received */
  remoteFrom: { address: string; port: number } | null = null;
  readonly receivedPayloadTypes = new Set<number>();
  /** SSRCs of the authenticated RTP packets received */
  readonly receivedSsrcs = new Set<number>();
  readonly dtmfEvents: DtmfEvent[] = [];
  /**
   * The decoded audio packets, in arrival order (the last KEEP_AUDIO_PACKETS), one per chunk
   * of receivedPcm(): where a stretch of it went wrong, whether the sender skipped a sequence
   * number (sent nothing) or sent a packet with other content, and when it came.
   */
  readonly audioPackets: AudioPacket[] = [];
  /** called with each decoded audio payload, in arrival order */
  onPcm: ((pcm: Int16Array) => void) | null = null;
  /** called once per received DTMF event, at its first end packet */
  onDigit: ((digit: string) => void) | null = null;
  private readonly endedEvents = new Set<number>();

  private pcmChunks: Int16Array[] = [];
  private srtpIn: SrtpSession | null;
  private unauthenticated: Unauthenticated[] = [];

  constructor(
    protected readonly codec: FrameCodec,
    private readonly rx: { payloadType: number; dtmfPayloadType?: number; srtp: boolean; remoteKeyB64?: string },
  ) {
    this.srtpIn = rx.srtp && rx.remoteKeyB64 ? srtpSession(rx.remoteKeyB64) : null;
  }

  /** Sets (or replaces) the key that incoming SRTP must authenticate with; retries kept failures. */
  setSrtpRemoteKey(keyB64: string): void {
    this.setSrtpInSession(srtpSession(keyB64));
  }

  /** Sets the session that authenticates incoming SRTP (e.g. from DTLS-SRTP); retries kept failures. */
  protected setSrtpInSession(session: SrtpSession): void {
    if (!this.rx.srtp) throw new Error('RtpPeer was opened without srtp');
    this.srtpIn = session;
    const retry = this.unauthenticated;
    this.unauthenticated = [];
    this.authFailures -= retry.length;
    for (const u of retry) this.handleRtp(u.msg, u.at);
  }

  receivedPcm(): Int16Array {
    return concatPcm(this.pcmChunks);
  }

  /** Digits of distinct completed (E bit) events, in order. */
  dtmfDigits(): string {
    const seen = new Set<number>();
    return this.dtmfEvents
      .filter((e) => e.end && !seen.has(e.timestamp) && seen.add(e.timestamp))
      .map((e) => e.digit)
      .join('');
  }

  /** Forgets received audio, events, counters and kept failures (not remoteFrom). */
  clearReceived(): void {
    this.pcmChunks = [];
    this.unauthenticated = [];
    this.dtmfEvents.length = 0;
    this.audioPackets.length = 0;
    this.receivedPayloadTypes.clear();
    this.receivedSsrcs.clear();
    this.packetsReceived = this.rtcpReceived = this.authFailures = this.decodeErrors = this.invalidPackets = 0;
    this.firstPacketAt = null;
  }

  /** Polls `cond` until it holds; rejects after `timeoutMs`. */
  async waitFor(cond: (peer: this) => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!cond(this)) {
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Entry point for every datagram received. */
  protected handleDatagram(msg: Buffer, from: { address: string; port: number }): void {
    this.remoteFrom ??= { address: from.address, port: from.port };
    const pt = msg[1] ?? 0;
    if (msg.length >= 8 && msg[0]! >> 6 === 2 && pt >= 192 && pt <= 223) {
      this.rtcpReceived++; // RFC 5761 demux; SR/RR/SDES/BYE/APP are 200-204
      return;
    }
    if (msg.length < 12 || msg[0]! >> 6 !== 2) {
      this.invalidPackets++;
      return;
    }
    this.handleRtp(msg, Date.now());
  }

  private handleRtp(msg: Buffer, at: number): void {
    let plain = msg;
    if (this.rx.srtp) {
      try {
        if (!this.srtpIn) throw new Error('no remote SRTP key yet');
        plain = this.srtpIn.decrypt(msg);
      } catch {
        this.authFailures++;
        this.unauthenticated.push({ msg, at });
        if (this.unauthenticated.length > KEEP_UNAUTHENTICATED) this.unauthenticated.shift();
        return;
      }
    }
    let packet: RtpPacket;
    try {
      packet = RtpPacket.deSerialize(plain);
    } catch {
      this.invalidPackets++;
      return;
    }
    const { payloadType, timestamp } = packet.header;
    this.packetsReceived++;
    this.firstPacketAt ??= at;
    this.receivedPayloadTypes.add(payloadType);
    this.receivedSsrcs.add(packet.header.ssrc);
    if (payloadType === this.rx.payloadType) {
      try {
        const pcm = this.codec.decode(packet.payload);
        this.pcmChunks.push(pcm);
        this.audioPackets.push({ seq: packet.header.sequenceNumber, timestamp, at, samples: pcm.length });
        if (this.audioPackets.length > KEEP_AUDIO_PACKETS) this.audioPackets.shift();
        this.onPcm?.(pcm);
      } catch {
        this.decodeErrors++;
      }
    } else if (payloadType === this.rx.dtmfPayloadType) {
      const event = parseTelephoneEvent(packet.payload, timestamp, payloadType);
      if (event) this.dtmfEvents.push(event);
      if (event?.end && !this.endedEvents.has(event.timestamp)) {
        this.endedEvents.add(event.timestamp);
        this.onDigit?.(event.digit);
      }
    }
  }
}
