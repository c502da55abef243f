/**
 * Bencode (BitTorrent's encoding), which rtpengine's ng control protocol speaks: byte strings
 * `<len>:<bytes>`, integers `i<n>e`, lists `l...e`, dictionaries `d...e` with sorted keys.
 * Strings decode as UTF-8 (SDP and rtpengine's keys are ASCII).
 */

export type BValue = string | number | BValue[] | { [key: string]: BValue };

export function encode(v: BValue): Buffer {
  const parts: Buffer[] = [];
  put(v, parts);
  return Buffer.concat(parts);
}

function put(v: BValue, out: Buffer[]): void {
  if (typeof v === 'string') {
    const b = Buffer.from(v, 'utf8');
    out.push(Buffer.from(`${b.length}:`), b);
  } else if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new Error(`bencode: ${v} is not an integer`);
    out.push(Buffer.from(`i${v}e`));
  } else if (Array.isArray(v)) {
    out.push(Buffer.from('l'));
    for (const x of v) put(x, out);
    out.push(Buffer.from('e'));
  } else {
    out.push(Buffer.from('d'));
    // keys sorted as raw bytes (BEP 3)
    for (const k of Object.keys(v).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))) {
      const x = v[k];
      if (x === undefined) continue;
      put(k, out);
      put(x, out);
    }
    out.push(Buffer.from('e'));
  }
}

/** decode one value filling `buf` whole; throws on anything malformed */
export function decode(buf: Buffer): BValue {
  const r = { at: 0 };
  const v = take(buf, r, 0);
  if (r.at !== buf.length) throw new Error(`bencode: ${buf.length - r.at} bytes after the value`);
  return v;
}

const MAX_DEPTH = 32;

function take(buf: Buffer, r: { at: number }, depth: number): BValue {
  if (depth > MAX_DEPTH) throw new Error('bencode: nested too deep');
  const c = buf[r.at];
  if (c === undefined) throw new Error('bencode: truncated');
  if (c === 0x69 /* i */) {
    const end = buf.indexOf(0x65, r.at);
    if (end < 0) throw new Error('bencode: unterminated integer');
    const s = buf.toString('latin1', r.at + 1, end);
    if (!/^-?\d+$/.test(s)) throw new Error(`bencode: bad integer ${JSON.stringify(s)}`);
    r.at = end + 1;
    return Number(s);
  }
  if (c === 0x6c /* l */) {
    r.at++;
    const list: BValue[] = [];
    while (buf[r.at] !== 0x65) list.push(take(buf, r, depth + 1));
    r.at++;
    return list;
  }
  if (c === 0x64 /* d */) {
    r.at++;
    const dict: Record<string, BValue> = {};
    while (buf[r.at] !== 0x65) {
      const k = take(buf, r, depth + 1);
      if (typeof k !== 'string') throw new Error('bencode: dictionary key is not a string');
      dict[k] = take(buf, r, depth + 1);
    }
    r.at++;
    return dict;
  }
  const colon = buf.indexOf(0x3a, r.at);
  if (colon < 0) throw new Error('bencode: bad string length');
  const lenText = buf.toString('latin1', r.at, colon);
  if (!/^\d+$/.test(lenText)) throw new Error(`bencode: bad string length ${JSON.stringify(lenText)}`);
  const len = Number(lenText);
  if (colon + 1 + len > buf.length) throw new Error('bencode: truncated string');
  r.at = colon + 1 + len;
  return buf.toString('utf8', colon + 1, colon + 1 + len);
}
