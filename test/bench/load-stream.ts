/**
 * The bench's media load: many RTP/SRTP streams at 20 ms, lean enough that the generator is not
 * what limits the measurement. Payloads are encoded once (a tone, one second of frames, played in
 * a loop), all streams tick on one drift-corrected clock, and what arrives is counted, not
 * decoded. The clock's stalls are counted too: a generator that fell behind must fail the bench.
 */
import dgram from 'node:dgram';
import { RtpHeader, RtpPacket, type SrtpSession } from 'werift-rtp';
import { FrameClock } from '../../src/testcall/media/frame-clock';
import { encodeMulaw } from '../../src/testcall/media/g711';
import { OPUS_APPLICATION, OpusCodec } from '../../src/testcall/media/opus';
import { srtpSession } from '../../src/testcall/media/srtp-keys';
import { sine } from '../../src/testcall/media/tone';
import type { StreamCount } from './stats';

const FRAME_MS = 20;

/**
 * one second of 20 ms frames of a tone, encoded. Opus is encoded as Meta's offer says it sends it
 * (sprop-maxcapturerate=16000, maxaveragebitrate=20000: 16 kHz, 20 kbit/s, VoIP mode): what
 * FreeSWITCH decodes costs what Meta's stream costs it. `samplesPerFrame` is the RTP clock's step
 * (Opus: 48 kHz whatever the encoder's rate)
 */
export function tonePayloads(codec: 'PCMU' | 'OPUS', freqHz: number): { payloads: Buffer[]; samplesPerFrame: number } {
  const frames = 1000 / FRAME_MS;
  if (codec === 'PCMU') {
    const n = (8000 * FRAME_MS) / 1000;
    return { payloads: Array.from({ length: frames }, (_, i) => encodeMulaw(sine(freqHz, 8000, n, 8000, i * n))), samplesPerFrame: n };
  }
  const opus = new OpusCodec(16000, 1, OPUS_APPLICATION.VOIP);
  opus.setBitrate(20000);
  const n = (16000 * FRAME_MS) / 1000;
  const payloads = Array.from({ length: frames }, (_, i) => opus.encode(sine(freqHz, 16000, n, 8000, i * n)));
  opus.close();
  return { payloads, samplesPerFrame: (48000 * FRAME_MS) / 1000 };
}

export class LoadStream {
  sent = 0;
  received = 0;
  private remote: { host: string; port: number } | null = null;
  private seq = Math.floor(Math.random() * 0x10000);
  private ts = Math.floor(Math.random() * 0xffffffff);
  private readonly ssrc = 1 + Math.floor(Math.random() * 0xfffffffe);
  private frame = 0;

  private constructor(
    readonly name: string,
    private readonly socket: dgram.Socket,
    readonly port: number,
    private readonly media: { payloads: Buffer[]; samplesPerFrame: number; payloadType: number },
    private readonly srtp: SrtpSession | null,
  ) {
    socket.on('message', (msg) => {
      const pt = msg[1] ?? 0;
      if (msg.length >= 12 && !(pt >= 192 && pt <= 223)) this.received++; // RTP, not RTCP
    });
    socket.on('error', () => undefined);
  }

  static async open(name: string, host: string, media: { payloads: Buffer[]; samplesPerFrame: number; payloadType: number }, srtpKeyB64?: string): Promise<LoadStream> {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, host, () => resolve());
    });
    return new LoadStream(name, socket, socket.address().port, media, srtpKeyB64 ? srtpSession(srtpKeyB64) : null);
  }

  setRemote(host: string, port: number): void {
    this.remote = { host, port };
  }

  count(): StreamCount {
    return { name: this.name, sent: this.sent, received: this.received };
  }

  /** one 20 ms frame (or `skipped` frames lost to a stall: the RTP clock moves on) */
  tick(skipped = 0): void {
    this.ts = (this.ts + skipped * this.media.samplesPerFrame) >>> 0;
    this.frame += skipped;
    if (skipped || !this.remote) return;
    const payload = this.media.payloads[this.frame % this.media.payloads.length]!;
    const header = new RtpHeader({ payloadType: this.media.payloadType, marker: this.sent === 0, sequenceNumber: this.seq, timestamp: this.ts, ssrc: this.ssrc });
    const wire = this.srtp ? this.srtp.encrypt(payload, header) : new RtpPacket(header, payload).serialize();
    this.socket.send(wire, this.remote.port, this.remote.host);
    this.seq = (this.seq + 1) & 0xffff;
    this.ts = (this.ts + this.media.samplesPerFrame) >>> 0;
    this.frame++;
    this.sent++;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

/** one clock for every stream; `stalledFrames` counts the frames it could not send in time */
export class LoadClock {
  stalledFrames = 0;
  private readonly streams: LoadStream[] = [];
  private readonly clock = new FrameClock(FRAME_MS, () => {
    for (const s of this.streams) s.tick();
    return true;
  }, (n) => {
    this.stalledFrames += n;
    for (const s of this.streams) s.tick(n);
  });

  add(s: LoadStream): void {
    this.streams.push(s);
    if (!this.clock.isRunning) this.clock.start();
  }

  counts(): StreamCount[] {
    return this.streams.map((s) => s.count());
  }

  async close(): Promise<void> {
    this.clock.stop();
    await Promise.all(this.streams.map((s) => s.close()));
  }
}
