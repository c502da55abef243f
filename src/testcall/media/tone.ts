/**
 * Tone generation and analysis for test media.
 *
 * `toneLevel` runs a Hann-windowed Goertzel filter over consecutive ~50 ms
 * blocks and returns the RMS over blocks of the estimated amplitude of the
 * component at `freqHz`, in sample units: a sine of amplitude A at that
 * frequency yields ≈ A, silence yields 0 and white noise a small fraction of
 * its RMS. Blocking keeps the estimate robust to phase jumps caused by lost or
 * reordered packets in a received stream.
 */

/** Sine samples; phase-continuous across calls when startSample advances. */
export function sine(
  freqHz: number,
  sampleRate: number,
  samples: number,
  amplitude = 8000,
  startSample = 0,
): Int16Array {
  const out = new Int16Array(samples);
  const w = (2 * Math.PI * freqHz) / sampleRate;
  for (let i = 0; i < samples; i++) {
    out[i] = Math.round(amplitude * Math.sin(w * (startSample + i)));
  }
  return out;
}

/** Root mean square of the samples (0 for an empty buffer). */
export function rms(pcm: Int16Array): number {
  if (pcm.length === 0) return 0;
  let sum = 0;
  for (let i = 0; i < pcm.length; i++) {
    const v = pcm[i] ?? 0;
    sum += v * v;
  }
  return Math.sqrt(sum / pcm.length);
}

/** Windowed Goertzel amplitude estimate of one block. */
function blockAmplitude(pcm: Int16Array, start: number, n: number, coeff: number): number {
  let s1 = 0;
  let s2 = 0;
  let wsum = 0;
  for (let i = 0; i < n; i++) {
    const w = n > 1 ? 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1)) : 1;
    wsum += w;
    const s0 = w * (pcm[start + i] ?? 0) + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const power = Math.max(0, s1 * s1 + s2 * s2 - coeff * s1 * s2);
  return wsum > 0 ? (2 * Math.sqrt(power)) / wsum : 0;
}

/** Estimated amplitude of the `freqHz` component (see file header). */
export function toneLevel(pcm: Int16Array, sampleRate: number, freqHz: number): number {
  if (pcm.length === 0) return 0;
  const block = Math.min(pcm.length, Math.max(1, Math.round(sampleRate * 0.05)));
  const coeff = 2 * Math.cos((2 * Math.PI * freqHz) / sampleRate);
  let sumSq = 0;
  let blocks = 0;
  for (let start = 0; start + block <= pcm.length; start += block) {
    const a = blockAmplitude(pcm, start, block, coeff);
    sumSq += a * a;
    blocks++;
  }
  return Math.sqrt(sumSq / blocks);
}

export interface DominantTone {
  /** candidate with the highest level */
  freq: number;
  /** best level / second-best level (0 for silence, Infinity if only the best is present) */
  ratio: number;
  /** level of every candidate, for diagnostics */
  levels: Record<number, number>;
}

/** Which of the candidate frequencies dominates the signal, and by how much. */
export function dominantTone(pcm: Int16Array, sampleRate: number, candidates: number[]): DominantTone {
  if (candidates.length < 2) throw new Error('dominantTone needs at least two candidate frequencies');
  const levels: Record<number, number> = {};
  const ranked = candidates
    .map((freq) => {
      const level = toneLevel(pcm, sampleRate, freq);
      levels[freq] = level;
      return { freq, level };
    })
    .sort((a, b) => b.level - a.level);
  const best = ranked[0]!;
  const second = ranked[1]!;
  const ratio = best.level === 0 ? 0 : second.level === 0 ? Infinity : best.level / second.level;
  return { freq: best.freq, ratio, levels };
}

/** The part of `pcm` after the first `ms` milliseconds. */
export function skipMs(pcm: Int16Array, sampleRate: number, ms: number): Int16Array {
  return pcm.subarray(Math.min(pcm.length, Math.round((sampleRate * ms) / 1000)));
}

/** Concatenates PCM chunks into one buffer. */
export function concatPcm(chunks: readonly Int16Array[]): Int16Array {
  const out = new Int16Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}
