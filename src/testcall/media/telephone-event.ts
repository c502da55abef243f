/**
 * RFC 4733 telephone-event payloads (DTMF): build and parse the 4-byte event
 * block. Digit codes: 0-9, 10='*', 11='#', 12-15='A'-'D'.
 */

export interface DtmfEvent {
  digit: string;
  end: boolean;
  /** event duration so far, in 8 kHz units */
  duration: number;
  volume: number;
  /** RTP timestamp of the packet (the event's start) */
  timestamp: number;
  payloadType: number;
}

const DTMF_CHARS = '0123456789*#ABCD';

/** Event code of a DTMF digit; throws for anything else. */
export function dtmfCode(digit: string): number {
  const code = digit.length === 1 ? DTMF_CHARS.indexOf(digit.toUpperCase()) : -1;
  if (code < 0) throw new Error(`not a DTMF digit: ${JSON.stringify(digit)}`);
  return code;
}

/** The 4-byte event block; `volume` is -dBm0 (0-63). */
export function telephoneEventPayload(code: number, end: boolean, duration: number, volume = 10): Buffer {
  const payload = Buffer.alloc(4);
  payload[0] = code;
  payload[1] = (end ? 0x80 : 0) | (volume & 0x3f);
  payload.writeUInt16BE(Math.min(0xffff, duration), 2);
  return payload;
}

/** Parses an event block; null when shorter than 4 bytes. */
export function parseTelephoneEvent(payload: Buffer, timestamp: number, payloadType: number): DtmfEvent | null {
  if (payload.length < 4) return null;
  const code = payload[0]!;
  return {
    digit: DTMF_CHARS[code] ?? `?${code}`,
    end: (payload[1]! & 0x80) !== 0,
    volume: payload[1]! & 0x3f,
    duration: payload.readUInt16BE(2),
    timestamp,
    payloadType,
  };
}
