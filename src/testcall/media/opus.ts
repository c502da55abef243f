/**
 * Opus encoder/decoder for test media (tests and test-call), built on opusscript's Emscripten libopus.
 *
 * opusscript's own JS wrapper (index.js) is not used: it views its malloc'd
 * buffers through `HEAPU16.subarray(ptr, ...)`, i.e. at byte address 2*ptr,
 * outside the allocation, so several instances scribble over each other's heap
 * and the cached views break when wasm memory grows. This wrapper drives the
 * same native handler with correctly placed buffers. The native ABI passes PCM
 * one byte per 16-bit slot (low byte, high byte), which we mirror here.
 * Also home of `frameCodec`, the PCMU/Opus switch used by RtpPeer.
 */
import { decodeMulaw, encodeMulaw } from './g711';

interface NativeHandler {
  _encode(inPtr: number, bytes: number, outPtr: number, frameSize: number): number;
  _decode(inPtr: number, bytes: number, outPtr: number): number;
  _encoder_ctl(ctl: number, arg: number): number;
}

interface OpusNative {
  _malloc(size: number): number;
  _free(ptr: number): void;
  HEAPU8: Uint8Array;
  HEAPU16: Uint16Array;
  OpusScriptHandler: {
    new (sampleRate: number, channels: number, application: number): NativeHandler;
    destroy_handler(handler: NativeHandler): void;
  };
}

export const OPUS_APPLICATION = { VOIP: 2048, AUDIO: 2049 } as const;
const OPUS_SET_BITRATE = 4002;
const MAX_FRAME_SAMPLES = 5760; // 120 ms at 48 kHz, libopus maximum
const MAX_PACKET_BYTES = 4000;

let native: OpusNative | null = null;
function opusNative(): OpusNative {
  if (!native) {
    const factory = require('opusscript/build/opusscript_native_wasm.js') as () => OpusNative;
    native = factory(); // synchronous instantiation in Node
  }
  return native;
}

export class OpusCodec {
  private readonly n = opusNative();
  private readonly handler: NativeHandler;
  private readonly pcmPtr: number;
  private readonly packetPtr: number;
  private closed = false;

  constructor(
    readonly sampleRate: 48000 | 24000 | 16000 | 12000 | 8000 = 48000,
    readonly channels = 1,
    application: number = OPUS_APPLICATION.AUDIO,
  ) {
    this.handler = new this.n.OpusScriptHandler(sampleRate, channels, application);
    // every PCM byte occupies a 16-bit slot: 2 slots per sample, 2 bytes per slot
    this.pcmPtr = this.n._malloc(MAX_FRAME_SAMPLES * channels * 4);
    this.packetPtr = this.n._malloc(MAX_PACKET_BYTES);
  }

  setBitrate(bps: number): void {
    const rc = this.handler._encoder_ctl(OPUS_SET_BITRATE, bps);
    if (rc < 0) throw new Error(`opus encoder_ctl(SET_BITRATE) failed: ${rc}`);
  }

  /** Encodes one frame (2.5-60 ms) of interleaved PCM into an Opus packet. */
  encode(pcm: Int16Array): Buffer {
    this.assertOpen();
    const frameSize = pcm.length / this.channels;
    if (!Number.isInteger(frameSize) || pcm.length > MAX_FRAME_SAMPLES * this.channels) {
      throw new Error(`bad opus frame length ${pcm.length}`);
    }
    const heap = this.n.HEAPU16;
    const base = this.pcmPtr >> 1;
    for (let i = 0; i < pcm.length; i++) {
      const v = (pcm[i] ?? 0) & 0xffff;
      heap[base + 2 * i] = v & 0xff;
      heap[base + 2 * i + 1] = v >> 8;
    }
    const len = this.handler._encode(this.pcmPtr, pcm.length * 2, this.packetPtr, frameSize);
    if (len < 0) throw new Error(`opus encode failed: ${len}`);
    return Buffer.from(this.n.HEAPU8.subarray(this.packetPtr, this.packetPtr + len));
  }

  /** Decodes one Opus packet into interleaved PCM at this codec's rate/channels. */
  decode(packet: Buffer): Int16Array {
    this.assertOpen();
    if (packet.length === 0 || packet.length > MAX_PACKET_BYTES) {
      throw new Error(`bad opus packet length ${packet.length}`);
    }
    this.n.HEAPU8.set(packet, this.packetPtr);
    const samples = this.handler._decode(this.packetPtr, packet.length, this.pcmPtr);
    if (samples < 0) throw new Error(`opus decode failed: ${samples}`);
    const heap = this.n.HEAPU16; // re-read: memory may have grown during the call
    const base = this.pcmPtr >> 1;
    const out = new Int16Array(samples * this.channels);
    for (let i = 0; i < out.length; i++) {
      out[i] = ((heap[base + 2 * i + 1] ?? 0) << 8) | (heap[base + 2 * i] ?? 0);
    }
    return out;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.n.OpusScriptHandler.destroy_handler(this.handler);
    this.n._free(this.pcmPtr);
    this.n._free(this.packetPtr);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('OpusCodec is closed');
  }
}

/** 20 ms frame codec used by RtpPeer: PCMU/8000 or Opus/48000 mono at 32 kbit/s. */
export interface FrameCodec {
  readonly sampleRate: number;
  encode(pcm: Int16Array): Buffer;
  decode(payload: Buffer): Int16Array;
  close(): void;
}

export function frameCodec(codec: 'PCMU' | 'OPUS'): FrameCodec {
  if (codec === 'PCMU') {
    return { sampleRate: 8000, encode: encodeMulaw, decode: decodeMulaw, close: () => undefined };
  }
  const opus = new OpusCodec(48000, 1, OPUS_APPLICATION.AUDIO);
  opus.setBitrate(32000);
  return opus;
}
