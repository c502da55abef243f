import { describe, expect, it } from 'vitest';
import { analyse, to8k } from '../../../src/testcall/audio-check';
import { sine } from '../../../src/testcall/media/tone';

/** what test-call decides from the audio it got back: whose tone, if any, is in it */
const RATE = 48000;
const seconds = (s: number) => RATE * s;

function mix(...parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts[0]!.length);
  for (const p of parts) for (let i = 0; i < out.length; i++) out[i] = Math.max(-32768, Math.min(32767, out[i]! + p[i]!));
  return out;
}

/** white noise of RMS about `rms`, from a fixed seed (comfort noise stands in for this) */
function noise(n: number, rms: number): Int16Array {
  let x = 12345;
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    out[i] = Math.round(((x / 0x7fffffff) * 2 - 1) * rms * Math.sqrt(3));
  }
  return out;
}

describe('analyse', () => {
  it('finds the PBX tone and ours in a mix (an echo plus a tone of its own)', () => {
    const h = analyse(mix(sine(1000, RATE, seconds(2), 4000), sine(600, RATE, seconds(2), 2000)), RATE, 600);
    expect(h.otherTone?.hz).toBe(1000);
    expect(h.otherTone!.dbfs).toBeCloseTo(20 * Math.log10(4000 / 32768), 0);
    expect(h.ownTone?.hz).toBe(600);
  });

  it('takes an echo of our tone alone as ours, with no other tone', () => {
    const h = analyse(sine(600, RATE, seconds(2), 3000), RATE, 600);
    expect(h.ownTone).not.toBeNull();
    expect(h.otherTone).toBeNull();
  });

  it('finds no tone in comfort noise, even a loud one, and says how loud it was', () => {
    const h = analyse(noise(seconds(2), 1000), RATE, 600);
    expect(h.ownTone).toBeNull();
    expect(h.otherTone).toBeNull();
    // measured in the 8 kHz telephone band: white noise over 24 kHz keeps a sixth of its power there
    const expected = 20 * Math.log10(1000 / Math.sqrt(6) / 32768);
    expect(h.levelDbfs).toBeGreaterThan(expected - 1.5);
    expect(h.levelDbfs).toBeLessThan(expected + 1.5);
  });

  it('finds a tone under noise when it stands out, and not a whisper of one', () => {
    expect(analyse(mix(noise(seconds(2), 300), sine(1400, RATE, seconds(2), 3000)), RATE, 600).otherTone?.hz).toBe(1400);
    expect(analyse(sine(1400, RATE, seconds(2), 100), RATE, 600).otherTone).toBeNull();
  });

  it('reports nothing for silence or too little audio', () => {
    expect(analyse(new Int16Array(seconds(1)), RATE, 600)).toMatchObject({ otherTone: null, ownTone: null, levelDbfs: -Infinity });
    expect(analyse(sine(1000, RATE, 100, 8000), RATE, 600).otherTone).toBeNull();
  });

  it('resamples 48 kHz to 8 kHz by averaging', () => {
    expect(Array.from(to8k(Int16Array.from([6, 6, 6, 6, 6, 6, 0, 0, 0, 0, 0, 12]), RATE))).toEqual([6, 2]);
  });
});
