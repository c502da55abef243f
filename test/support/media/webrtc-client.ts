/**
 * A full WebRTC endpoint on another stack (libwebrtc with BoringSSL and libsrtp, through
 * @roamhq/wrtc), standing where the gateway's DTLS terminator stands in the integration
 * tests: full ICE (it is controlling against an ice-lite remote), DTLS client when it
 * answers (`setup:active`) or when its `actpass` offer gets a passive answer, Opus.
 * It sends a tone through libwebrtc's audio pipeline and keeps the audio it decodes.
 *
 * libwebrtc gathers on every interface and @roamhq/wrtc has no setting to limit that, so
 * the tests pair it with a DtlsMediaPeer that answers loopback checks only.
 * The few parts of the library used here are typed here (the package's own types need the DOM lib).
 */
import { FrameClock } from '../../../src/testcall/media/frame-clock';
import { concatPcm, sine } from '../../../src/testcall/media/tone';

interface AudioData {
  samples: Int16Array;
  sampleRate: number;
  bitsPerSample?: number;
  channelCount?: number;
  numberOfFrames?: number;
}
interface Track {
  stop(): void;
}
interface Description {
  type: 'offer' | 'answer';
  sdp: string;
}
interface PeerConnection {
  connectionState: string;
  localDescription: Description | null;
  onconnectionstatechange: (() => void) | null;
  ontrack: ((e: { track: Track }) => void) | null;
  addTrack(track: Track): unknown;
  createOffer(): Promise<Description>;
  createAnswer(): Promise<Description>;
  setLocalDescription(d: Description): Promise<void>;
  setRemoteDescription(d: Description): Promise<void>;
  close(): void;
}
interface Wrtc {
  RTCPeerConnection: new (config: { iceServers: never[] }) => PeerConnection;
  nonstandard: {
    RTCAudioSource: new () => { createTrack(): Track; onData(d: AudioData): void };
    RTCAudioSink: new (track: Track) => { ondata: ((d: AudioData) => void) | null; stop(): void };
  };
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const wrtc = require('@roamhq/wrtc') as Wrtc;

const RATE = 48000;
const FRAME = RATE / 100; // libwebrtc takes 10 ms of audio at a time

export class WebRtcClient {
  readonly states: string[] = [];
  /** mono PCM as libwebrtc decoded and played it out, at `receivedRate` */
  private chunks: Int16Array[] = [];
  receivedRate = 0;
  private readonly pc = new wrtc.RTCPeerConnection({ iceServers: [] });
  private readonly source = new wrtc.nonstandard.RTCAudioSource();
  private readonly track = this.source.createTrack();
  private readonly sinks: { stop(): void }[] = [];
  private readonly clock: FrameClock;
  private sampleIndex = 0;
  private received = 0;
  private waiters: (() => void)[] = [];

  constructor(private readonly toneHz: number) {
    this.pc.addTrack(this.track);
    this.pc.onconnectionstatechange = () => {
      this.states.push(this.pc.connectionState);
      for (const w of this.waiters.splice(0)) w();
    };
    this.pc.ontrack = (e) => {
      const sink = new wrtc.nonstandard.RTCAudioSink(e.track);
      sink.ondata = (d) => {
        this.receivedRate = d.sampleRate;
        const ch = d.channelCount ?? 1;
        const mono = ch === 1 ? Int16Array.from(d.samples) : Int16Array.from({ length: d.samples.length / ch }, (_, i) => d.samples[i * ch] ?? 0);
        this.chunks.push(mono);
        this.received += mono.length;
        for (const w of this.waiters.splice(0)) w();
      };
      this.sinks.push(sink);
    };
    this.clock = new FrameClock(10, () => {
      this.source.onData({ samples: sine(this.toneHz, RATE, FRAME, 8000, this.sampleIndex), sampleRate: RATE, bitsPerSample: 16, channelCount: 1, numberOfFrames: FRAME });
      this.sampleIndex += FRAME;
      return true;
    });
    this.clock.start();
  }

  /** answers `offerSdp`; libwebrtc's answer says a=setup:active */
  async answer(offerSdp: string): Promise<string> {
    await this.pc.setRemoteDescription({ type: 'offer', sdp: offerSdp });
    await this.pc.setLocalDescription(await this.pc.createAnswer());
    return this.pc.localDescription!.sdp;
  }

  /** an offer (a=setup:actpass) */
  async offer(): Promise<string> {
    await this.pc.setLocalDescription(await this.pc.createOffer());
    return this.pc.localDescription!.sdp;
  }

  async acceptAnswer(sdp: string): Promise<void> {
    await this.pc.setRemoteDescription({ type: 'answer', sdp });
  }

  /** resolves when the connection state is one of `states` (woken by state changes) */
  async reach(states: string[], timeoutMs = 5000): Promise<string> {
    await this.until(() => states.includes(this.pc.connectionState), timeoutMs, () => `connection state ${this.pc.connectionState}, wanted ${states.join('|')} (seen: ${this.states.join(',')})`);
    return this.pc.connectionState;
  }

  /** resolves once `ms` of audio has been played out since the last clearReceived() */
  async receivedMs(ms: number, timeoutMs = 5000): Promise<void> {
    await this.until(() => this.receivedRate > 0 && this.received >= (this.receivedRate * ms) / 1000, timeoutMs, () => `${this.received} samples received`);
  }

  private async until(cond: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!cond()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`after ${timeoutMs} ms: ${what()}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => (clearTimeout(t), resolve()));
      });
    }
  }

  receivedPcm(): Int16Array {
    return concatPcm(this.chunks);
  }

  clearReceived(): void {
    this.chunks = [];
    this.received = 0;
  }

  close(): void {
    this.clock.stop();
    for (const s of this.sinks) s.stop();
    this.track.stop();
    this.pc.close();
  }
}
