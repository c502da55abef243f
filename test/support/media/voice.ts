/**
 * A speech-like test signal and a spectral distance, for the bench's quality check of
 * the Opus settings (SPEC T3). Opus is a perceptual codec: it does not keep the waveform,
 * so the distance compares short-time spectra (log-spectral distance, dB), not samples.
 */

/** formant frequencies (Hz) of a few vowels */
const VOWELS: [number, number, number][] = [[730, 1090, 2440], [270, 2290, 3010], [530, 1840, 2480], [300, 870, 2240], [660, 1720, 2410]];

/** glottal pulses at a gliding pitch through three formant resonators, vowel by vowel, with pauses */
export function syntheticVoice(sampleRate: number, seconds: number): Int16Array {
  const out = new Float64Array(Math.round(sampleRate * seconds));
  const segment = Math.round(sampleRate * 0.4);
  let phase = 0;
  const state = VOWELS[0]!.map(() => [0, 0]);
  for (let i = 0; i < out.length; i++) {
    const seg = Math.floor(i / segment);
    const inSeg = (i % segment) / segment;
    const voiced = seg % 3 !== 2; // every third segment is a pause
    const f0 = 110 + 40 * Math.sin((2 * Math.PI * i) / (sampleRate * 1.3));
    phase += f0 / sampleRate;
    let x = 0;
    if (phase >= 1) {
      phase -= 1;
      x = voiced ? 1 : 0;
    }
    const formants = VOWELS[seg % VOWELS.length]!;
    let y = 0;
    formants.forEach((f, k) => {
      // two-pole resonator, 80 Hz bandwidth
      const r = Math.exp((-Math.PI * 80) / sampleRate);
      const s = state[k]!;
      const v = x + 2 * r * Math.cos((2 * Math.PI * f) / sampleRate) * s[0]! - r * r * s[1]!;
      s[1] = s[0]!;
      s[0] = v;
      y += v / (k + 1);
    });
    const envelope = voiced ? Math.sin(Math.PI * inSeg) : 0;
    out[i] = y * envelope;
  }
  let peak = 0;
  for (const v of out) peak = Math.max(peak, Math.abs(v));
  return Int16Array.from(out, (v) => Math.round((v / (peak || 1)) * 12000));
}

const BANDS = Array.from({ length: 66 }, (_, k) => 150 + 50 * k); // 150 … 3400 Hz: what G.711 carries

/** power per band of one 20 ms frame (Hann window, Goertzel) */
function frameSpectrum(pcm: Int16Array, start: number, n: number, sampleRate: number): number[] {
  return BANDS.map((f) => {
    const coeff = 2 * Math.cos((2 * Math.PI * f) / sampleRate);
    let s1 = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1));
      const s0 = w * (pcm[start + i] ?? 0) + coeff * s1 - s2;
      s2 = s1;
      s1 = s0;
    }
    return s1 * s1 + s2 * s2 - coeff * s1 * s2;
  });
}

function frameEnergy(pcm: Int16Array, start: number, n: number): number {
  let e = 0;
  for (let i = 0; i < n; i++) e += (pcm[start + i] ?? 0) ** 2;
  return e;
}

/**
 * Mean log-spectral distance (dB) between `ref` (as sent) and `got` (as received, another
 * rate allowed), over 20 ms frames where `ref` is voiced; the delay is found by matching
 * frame energies (1 ms steps, up to 1 s). 0 dB is identical; lower is better.
 */
export function logSpectralDistance(ref: Int16Array, refRate: number, got: Int16Array, gotRate: number): { lsdDb: number; delayMs: number; frames: number } {
  const nRef = refRate / 50;
  const nGot = gotRate / 50;
  const frames = Math.floor(ref.length / nRef);
  const refE = Array.from({ length: frames }, (_, i) => frameEnergy(ref, i * nRef, nRef));
  const maxE = Math.max(...refE);
  const active = refE.map((e) => e > maxE / 100);
  let best = { delayMs: 0, score: -Infinity };
  for (let d = 0; d <= 1000; d++) {
    const off = (d * gotRate) / 1000;
    let score = 0;
    for (let i = 0; i < frames; i++) {
      const start = off + i * nGot;
      if (start + nGot > got.length) break;
      score += Math.sqrt(refE[i]!) * Math.sqrt(frameEnergy(got, start, nGot));
    }
    if (score > best.score) best = { delayMs: d, score };
  }
  const off = (best.delayMs * gotRate) / 1000;
  let sum = 0;
  let used = 0;
  for (let i = 0; i < frames; i++) {
    const start = off + i * nGot;
    if (!active[i] || start + nGot > got.length) continue;
    const a = frameSpectrum(ref, i * nRef, nRef, refRate);
    const b = frameSpectrum(got, start, nGot, gotRate);
    // both spectra on one scale: per-sample power, so the rates compare
    let d2 = 0;
    for (let k = 0; k < BANDS.length; k++) {
      const pa = 10 * Math.log10((a[k]! / (nRef * nRef)) + 1e-3);
      const pb = 10 * Math.log10((b[k]! / (nGot * nGot)) + 1e-3);
      d2 += (pa - pb) ** 2;
    }
    sum += Math.sqrt(d2 / BANDS.length);
    used++;
  }
  return { lsdDb: used ? sum / used : NaN, delayMs: best.delayMs, frames: used };
}
