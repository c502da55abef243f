/**
 * DTMF a PBX sends as SIP INFO (SPEC X2): `application/dtmf-relay` (`Signal=5`,
 * `Duration=160`) or `application/dtmf` (`5`). The gateway turns it into RFC 4733 events
 * toward Meta, which takes no INFO.
 */
export interface InfoDigit {
  digit: string;
  durationMs: number;
}

const DIGIT = /^[0-9*#A-D]$/i;

export function parseDtmfInfo(contentType: string | undefined, body: string | undefined): InfoDigit | null {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const text = (body ?? '').trim();
  if (type === 'application/dtmf-relay') {
    const signal = /^\s*signal\s*=\s*(\S+)/im.exec(text)?.[1] ?? '';
    const duration = Number(/^\s*duration\s*=\s*(\d+)/im.exec(text)?.[1] ?? 160);
    const digit = signal === '10' ? '*' : signal === '11' ? '#' : signal;
    return DIGIT.test(digit) ? { digit: digit.toUpperCase(), durationMs: clamp(duration) } : null;
  }
  if (type === 'application/dtmf') return DIGIT.test(text) ? { digit: text.toUpperCase(), durationMs: 160 } : null;
  return null;
}

function clamp(ms: number): number {
  return Math.min(Math.max(Number.isFinite(ms) ? ms : 160, 40), 2000);
}
