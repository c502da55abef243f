import { rms, toneLevel } from './media/tone';

/**
 * What `test-call` heard: the received audio (decoded Opus, 48 kHz) resampled to 8 kHz,
 * searched for tones between 200 and 3400 Hz (Hann-windowed Goertzel, 50 ms blocks, 10 Hz
 * steps). A tone counts when it stands well above the median of the scan, so the comfort
 * noise the gateway sends while the PBX is silent is not taken for one. Our own tone
 * coming back means the far end echoes it: the only proof, from Meta's side, that audio
 * reached the PBX.
 */

export interface HeardAudio {
  /** RMS of what was received, dB below full scale (-Infinity for none) */
  levelDbfs: number;
  /** the strongest tone other than ours, if one stands out */
  otherTone: { hz: number; dbfs: number } | null;
  /** our own tone in what came back, if it stands out */
  ownTone: { hz: number; dbfs: number } | null;
  seconds: number;
}

const RATE = 8000;
const SCAN_FROM = 200;
const SCAN_TO = 3400;
const STEP = 10;
/** a tone's level over the median of the scan */
const TONE_OVER_MEDIAN = 6;
/** and its amplitude at least this (about -44 dBFS) */
const TONE_MIN_AMPLITUDE = 200;
/** the main lobe of a 50 ms Hann window is ±40 Hz: a peak this close to our tone is ours */
const OWN_TONE_SPAN = 60;

export const dbfs = (amplitude: number): number => (amplitude > 0 ? 20 * Math.log10(amplitude / 32768) : -Infinity);

/** averages blocks of `rate / 8000` samples (48 kHz and 16 kHz Opus decode to whole multiples) */
export function to8k(pcm: Int16Array, rate: number): Int16Array {
  const f = Math.round(rate / RATE);
  if (f <= 1) return pcm;
  const out = new Int16Array(Math.floor(pcm.length / f));
  for (let i = 0; i < out.length; i++) {
    let sum = 0;
    for (let k = 0; k < f; k++) sum += pcm[i * f + k] ?? 0;
    out[i] = Math.round(sum / f);
  }
  return out;
}

export function analyse(pcm: Int16Array, rate: number, ownHz: number): HeardAudio {
  const x = to8k(pcm, rate);
  const seconds = x.length / RATE;
  if (x.length < RATE / 10) return { levelDbfs: -Infinity, otherTone: null, ownTone: null, seconds };
  const scan: { hz: number; level: number }[] = [];
  for (let hz = SCAN_FROM; hz <= SCAN_TO; hz += STEP) scan.push({ hz, level: toneLevel(x, RATE, hz) });
  const sorted = scan.map((s) => s.level).sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
  const stands = (level: number) => level >= TONE_MIN_AMPLITUDE && level >= TONE_OVER_MEDIAN * median;
  const own = toneLevel(x, RATE, ownHz);
  const others = scan.filter((s) => Math.abs(s.hz - ownHz) > OWN_TONE_SPAN).sort((a, b) => b.level - a.level);
  const best = others[0];
  return {
    levelDbfs: dbfs(rms(x)),
    otherTone: best && stands(best.level) ? { hz: best.hz, dbfs: dbfs(best.level) } : null,
    ownTone: stands(own) ? { hz: ownHz, dbfs: dbfs(own) } : null,
    seconds,
  };
}
