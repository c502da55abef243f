import { describe, expect, it } from 'vitest';
import { decodeMulaw, encodeMulaw } from '../support/media/g711';
import { logSpectralDistance, syntheticVoice } from '../support/media/voice';

/** The bench's quality measure (SPEC T3) must tell a faithful copy from a damaged one. */
describe('log-spectral distance of the synthetic voice', () => {
  const voice = syntheticVoice(8000, 3);
  const delayed = (pcm: Int16Array, ms: number, rate: number) => Int16Array.from([...new Int16Array((ms * rate) / 1000), ...pcm]);

  it('is 0 for the signal itself, and finds a 120 ms delay', () => {
    expect(logSpectralDistance(voice, 8000, voice, 8000).lsdDb).toBeLessThan(0.01);
    const r = logSpectralDistance(voice, 8000, delayed(voice, 120, 8000), 8000);
    expect(r.delayMs).toBe(120);
    expect(r.lsdDb).toBeLessThan(0.01);
  });

  it('compares across sample rates: the voice taken to 48 kHz (linear interpolation) is close', () => {
    const up = Int16Array.from({ length: voice.length * 6 }, (_, i) => {
      const a = voice[Math.floor(i / 6)] ?? 0;
      const b = voice[Math.floor(i / 6) + 1] ?? a;
      return Math.round(a + ((b - a) * (i % 6)) / 6);
    });
    const r = logSpectralDistance(voice, 8000, delayed(up, 60, 48000), 48000);
    expect(r.delayMs).toBe(60);
    expect(r.lsdDb).toBeLessThan(3); // linear interpolation itself takes up to 2.7 dB off at 3.4 kHz
  });

  it('ranks G.711 as a small loss, and a coarse 6-bit copy and a 1 kHz low-pass as larger ones', () => {
    const mulaw = logSpectralDistance(voice, 8000, decodeMulaw(encodeMulaw(voice)), 8000).lsdDb;
    const sixBit = logSpectralDistance(voice, 8000, voice.map((v) => Math.round(v / 1024) * 1024), 8000).lsdDb;
    const lowPassed = new Int16Array(voice.length);
    let y = 0;
    for (let i = 0; i < voice.length; i++) lowPassed[i] = Math.round((y += 0.5 * ((voice[i] ?? 0) - y)));
    const muffled = logSpectralDistance(voice, 8000, lowPassed, 8000).lsdDb;
    expect(mulaw).toBeGreaterThan(0);
    expect(sixBit).toBeGreaterThan(mulaw);
    expect(muffled).toBeGreaterThan(mulaw);
  });
});
