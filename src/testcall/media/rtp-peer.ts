/**
 * RtpPeer: one end of an RTP audio stream, for the integration tests and the test-call command.
 *
 * Sends a tone or silence as 20 ms packets (PCMU/8000 or Opus/48000 mono) on a
 * drift-corrected clock, plus RFC 4733 DTMF in the same stream (one SSRC);
 * optionally SDES-SRTP protected (AES_CM_128_HMAC_SHA1_80, rtcp-mux). The
 * receive side (decoded PCM, DTMF events, counters) lives in RtpReceiver.
 *
 * With `srtp: 'external'` the keys come from a layer above (DTLS-SRTP, see
 * dtls-peer.ts): nothing is sent until `setSrtpSession()`,
 * `interceptor` sees every datagram first (STUN, DTLS), `sendDatagram()` writes
 * on the same socket, and `injectDatagram()`/`sendVia` let a second socket (an
 * IPv6 candidate) carry the same stream.
 */
import { randomInt } from 'node:crypto';
import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import { performance } from 'node:perf_hooks';
import { RtpHeader, RtpPacket, type SrtpSession } from 'werift-rtp';
import { FrameClock } from './frame-clock';
import { frameCodec } from './opus';
import { RtpReceiver } from './rtp-receiver';
import { srtpSession } from './srtp-keys';
import { dtmfCode, telephoneEventPayload } from './telephone-event';
import { sine } from './tone';

export type { DtmfEvent } from './telephone-event';
export type PeerCodec = 'PCMU' | 'OPUS';

export interface RtpPeerOptions {
  host: string;
  /** 0 or omitted: ephemeral port */
  port?: number;
  codec: PeerCodec;
  payloadType: number;
  dtmfPayloadType?: number;
  /**
   * SDES inline keys (base64, 30 bytes): ours protects what we send, theirs
   * authenticates what we get. Omit remoteKeyB64 until the answer is known
   * and pass it to setSrtpRemoteKey(). 'external': keys from DTLS-SRTP, given
   * to setSrtpSession() once the handshake is done.
   */
  srtp?: { localKeyB64: string; remoteKeyB64?: string } | 'external';
}

const FRAME_MS = 20;
const TONE_AMPLITUDE = 8000;
const DTMF_STEP = 160; // 20 ms in telephone-event/8000 duration units

interface DtmfJob {
  code: number;
  payloadType: number;
  /** total duration, 8 kHz units */
  units: number;
  step: number;
  endsSent: number;
  timestamp: number | null;
  done: () => void;
}

/** what a peer sends: a tone, silence, or a recording played in a loop */
type Source = { freq: number } | 'silence' | { pcm: Int16Array; from: number } | Echo;

/** what was received, played back (mixed with a tone, if any) */
interface Echo {
  queue: Int16Array[];
  queued: number;
  freq: number | null;
}

/** an echo keeps at most this much audio queued (ms): a late sender does not grow the delay */
const ECHO_MAX_MS = 200;
/** audio frames whose send times are kept (audioSentAt): a minute of them */
const KEEP_SENT_FRAMES = 3000;

export class RtpPeer extends RtpReceiver {
  readonly sampleRate: number;
  readonly samplesPerFrame: number;
  packetsSent = 0;
  /**
   * The packet clock's own health, for measurements that must not blame the far side for the
   * sender's stalls: the longest time between two frames of one run of the clock (a normal
   * clock keeps it near 20 ms), and the frames dropped after a stall of more than 5 frames.
   */
  longestFrameGapMs = 0;
  skippedFrames = 0;
  /**
   * When each audio frame left (performance.now(), ms; the last KEEP_SENT_FRAMES): against the
   * first one's 20 ms grid it tells how late the clock sent a given frame.
   */
  readonly audioSentAt: number[] = [];
  private lastFrameAt: number | null = null;
  /** sees every datagram before RTP/RTCP handling; returns true when it consumed it */
  interceptor: ((msg: Buffer, from: dgram.RemoteInfo) => boolean) | null = null;
  /** replaces the socket for outgoing RTP (e.g. to pick the socket of the nominated candidate) */
  sendVia: ((wire: Buffer, host: string, port: number) => void) | null = null;

  private remote: { host: string; port: number } | null = null;
  readonly ssrc = randomInt(1, 0xffffffff);
  private seq = randomInt(0, 0x10000);
  private ts = randomInt(0, 0xffffffff);
  private source: Source | null = null;
  private marker = false;
  private sampleIndex = 0;
  private readonly dtmfQueue: DtmfJob[] = [];
  private readonly clock: FrameClock;
  private stoppedAt: number | null = null;
  private closed = false;

  private constructor(
    private readonly socket: dgram.Socket,
    readonly host: string,
    readonly port: number,
    private readonly opts: RtpPeerOptions,
    private srtpOut: SrtpSession | null,
  ) {
    const codec = frameCodec(opts.codec);
    const sdes = typeof opts.srtp === 'object' ? opts.srtp : undefined;
    super(codec, { ...opts, srtp: !!opts.srtp, remoteKeyB64: sdes?.remoteKeyB64 });
    this.sampleRate = codec.sampleRate;
    this.samplesPerFrame = (this.sampleRate * FRAME_MS) / 1000;
    this.clock = new FrameClock(FRAME_MS, () => this.frame(), (n) => { this.skippedFrames += n; this.advance(n * this.samplesPerFrame); });
    socket.on('message', (msg, rinfo) => this.injectDatagram(msg, rinfo));
    socket.on('error', () => undefined); // e.g. ICMP port unreachable: tests look at what arrives
  }

  static async open(opts: RtpPeerOptions): Promise<RtpPeer> {
    const srtpOut = typeof opts.srtp === 'object' ? srtpSession(opts.srtp.localKeyB64) : null;
    const socket = dgram.createSocket(isIPv6(opts.host) ? 'udp6' : 'udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(opts.port ?? 0, opts.host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    return new RtpPeer(socket, opts.host, socket.address().port, opts, srtpOut);
  }

  /** Handles a datagram as if this peer's socket had received it (interceptor first). */
  injectDatagram(msg: Buffer, from: dgram.RemoteInfo): void {
    if (this.interceptor?.(msg, from)) return;
    this.handleDatagram(msg, from);
  }

  /** Writes a non-RTP datagram (STUN, DTLS) on this peer's socket. */
  sendDatagram(msg: Buffer, host: string, port: number): void {
    if (!this.closed) this.socket.send(msg, port, host);
  }

  /**
   * Keys from a DTLS-SRTP handshake (`srtp: 'external'`): one session that protects what we
   * send and authenticates what we get; sending starts (tones queued meanwhile go out).
   */
  setSrtpSession(session: SrtpSession): void {
    if (this.opts.srtp !== 'external') throw new Error("RtpPeer was not opened with srtp: 'external'");
    this.srtpOut = session;
    this.setSrtpInSession(session);
  }

  /** Where to send; until set, packets go to the source of the first received datagram (if any). */
  setRemote(host: string, port: number): void {
    this.remote = { host, port };
  }

  startTone(freqHz: number): void {
    this.startSource({ freq: freqHz });
  }

  /** plays `pcm` (at this peer's sample rate) over and over */
  startPcm(pcm: Int16Array): void {
    this.startSource({ pcm, from: this.sampleIndex });
  }

  /**
   * Plays back what this peer receives, 20 ms behind, mixed with a tone at `toneHz` when
   * given, and sends each DTMF event it receives back as an event of its own: an echo-test
   * extension, as test-call expects of the far end to prove both directions.
   */
  startEcho(toneHz: number | null = null): void {
    const echo: Echo = { queue: [], queued: 0, freq: toneHz };
    const max = (this.sampleRate * ECHO_MAX_MS) / 1000;
    this.onPcm = (pcm) => {
      echo.queue.push(pcm);
      echo.queued += pcm.length;
      while (echo.queued > max && echo.queue.length > 1) echo.queued -= echo.queue.shift()!.length;
    };
    this.onDigit = (digit) => {
      if (!this.closed) void this.sendDtmf(digit, 120);
    };
    this.startSource(echo);
  }

  /** Holds the packets back for `ms`, then sends the ones due meanwhile at once (a late burst). */
  holdFrames(ms: number): void {
    this.clock.hold(ms);
  }

  startSilence(): void {
    this.startSource('silence');
  }

  /** Stops sending audio (a DTMF event in progress still completes). */
  stop(): void {
    this.source = null;
  }

  /**
   * Sends an RFC 4733 event: packets every 20 ms (marker on the first, one RTP
   * timestamp in the stream clock, duration in 8 kHz units), then 3 end packets.
   * Audio pauses meanwhile. Resolves once the end packets are sent.
   */
  sendDtmf(digit: string, durationMs = 100): Promise<void> {
    const code = dtmfCode(digit);
    const payloadType = this.opts.dtmfPayloadType;
    if (payloadType === undefined) throw new Error('no dtmfPayloadType configured');
    if (this.closed) throw new Error('RtpPeer is closed');
    return new Promise((done) => {
      const units = Math.min(0xffff, Math.max(1, Math.round(durationMs * 8)));
      this.dtmfQueue.push({ code, payloadType, units, step: 0, endsSent: 0, timestamp: null, done });
      this.ensureClock();
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.source = null;
    this.clock.stop();
    for (const job of this.dtmfQueue.splice(0)) job.done();
    this.codec.close();
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }

  private startSource(source: Source): void {
    if (this.closed) throw new Error('RtpPeer is closed');
    if (!this.source) this.marker = true; // first packet of a talkspurt
    this.source = source;
    this.ensureClock();
  }

  private ensureClock(): void {
    if (this.clock.isRunning || this.closed) return;
    if (this.stoppedAt !== null) {
      // keep the RTP clock tied to wall time across pauses
      const frames = Math.floor((performance.now() - this.stoppedAt) / FRAME_MS);
      this.advance(frames * this.samplesPerFrame);
    }
    this.clock.start();
  }

  /** One 20 ms slot: a DTMF packet if an event is pending, else audio; false when idle. */
  private frame(): boolean {
    const now = performance.now();
    if (this.lastFrameAt !== null) this.longestFrameGapMs = Math.max(this.longestFrameGapMs, now - this.lastFrameAt);
    this.lastFrameAt = now;
    const job = this.dtmfQueue[0];
    if (job) {
      job.timestamp ??= this.ts;
      const end = (job.step + 1) * DTMF_STEP >= job.units;
      const payload = telephoneEventPayload(job.code, end, Math.min((job.step + 1) * DTMF_STEP, job.units));
      this.sendRtp(job.payloadType, payload, job.step === 0, job.timestamp);
      job.step++;
      if (end && ++job.endsSent === 3) {
        this.dtmfQueue.shift();
        job.done();
      }
    } else if (this.source) {
      const n = this.samplesPerFrame;
      const pcm = this.nextSamples(this.source, n);
      this.sendRtp(this.opts.payloadType, this.codec.encode(pcm), this.marker, this.ts);
      this.marker = false;
      this.audioSentAt.push(now);
      if (this.audioSentAt.length > KEEP_SENT_FRAMES) this.audioSentAt.shift();
    } else {
      this.stoppedAt = performance.now();
      this.lastFrameAt = null; // the next run of the clock starts afresh
      return false;
    }
    this.advance(this.samplesPerFrame);
    return true;
  }

  private nextSamples(source: Source, n: number): Int16Array {
    if (source === 'silence') return new Int16Array(n);
    if ('queue' in source) return this.echoSamples(source, n);
    if ('freq' in source) return sine(source.freq, this.sampleRate, n, TONE_AMPLITUDE, this.sampleIndex);
    const out = new Int16Array(n);
    for (let i = 0; i < n; i++) out[i] = source.pcm[(this.sampleIndex - source.from + i) % source.pcm.length] ?? 0;
    return out;
  }

  private echoSamples(echo: Echo, n: number): Int16Array {
    const out = echo.freq === null ? new Int16Array(n) : sine(echo.freq, this.sampleRate, n, TONE_AMPLITUDE / 2, this.sampleIndex);
    for (let i = 0; i < n && echo.queue.length; ) {
      const head = echo.queue[0]!;
      const take = Math.min(n - i, head.length);
      for (let k = 0; k < take; k++) out[i + k] = Math.max(-32768, Math.min(32767, (out[i + k] ?? 0) + (head[k] ?? 0)));
      i += take;
      echo.queued -= take;
      if (take === head.length) echo.queue.shift();
      else echo.queue[0] = head.subarray(take);
    }
    return out;
  }

  private advance(samples: number): void {
    this.sampleIndex += samples;
    this.ts = (this.ts + samples) >>> 0;
  }

  private sendRtp(payloadType: number, payload: Buffer, marker: boolean, timestamp: number): void {
    const header = new RtpHeader({ payloadType, marker, sequenceNumber: this.seq, timestamp, ssrc: this.ssrc });
    this.seq = (this.seq + 1) & 0xffff;
    const to = this.remote ?? (this.remoteFrom && { host: this.remoteFrom.address, port: this.remoteFrom.port });
    if (!to || this.closed) return;
    if (this.opts.srtp && !this.srtpOut) return; // DTLS-SRTP keys not there yet: nothing goes out in the clear
    const wire = this.srtpOut ? this.srtpOut.encrypt(payload, header) : new RtpPacket(header, payload).serialize();
    if (this.sendVia) this.sendVia(wire, to.host, to.port);
    else this.socket.send(wire, to.port, to.host);
    this.packetsSent++;
  }
}
