/**
 * A minimal SIP message model for the test peers and the test-call command: parse, build,
 * serialize. Header values are kept as received (byte for byte), so a test can compare
 * Record-Route exactly.
 */

export interface SipMessage {
  /** request: method; response: undefined */
  method?: string;
  uri?: string;
  status?: number;
  reason?: string;
  headers: [string, string][];
  body: string;
}

const COMPACT: Record<string, string> = {
  v: 'via', f: 'from', t: 'to', i: 'call-id', m: 'contact', l: 'content-length', c: 'content-type', k: 'supported',
};

const canon = (name: string): string => {
  const n = name.toLowerCase();
  return COMPACT[n] ?? n;
};

export function parseMessage(raw: string): SipMessage {
  const split = raw.indexOf('\r\n\r\n');
  const head = split >= 0 ? raw.slice(0, split) : raw;
  const body = split >= 0 ? raw.slice(split + 4) : '';
  const lines = head.split('\r\n');
  const start = lines.shift() ?? '';
  const headers: [string, string][] = [];
  for (const line of lines) {
    if (/^[ \t]/.test(line) && headers.length) {
      const last = headers[headers.length - 1]!;
      last[1] += ` ${line.trim()}`;
      continue;
    }
    const i = line.indexOf(':');
    if (i > 0) headers.push([line.slice(0, i).trim(), line.slice(i + 1).trim()]);
  }
  const resp = /^SIP\/2\.0 (\d{3}) ?(.*)$/.exec(start);
  if (resp) return { status: Number(resp[1]), reason: resp[2] ?? '', headers, body };
  const req = /^([A-Z]+) (\S+) SIP\/2\.0$/.exec(start);
  if (!req) throw new Error(`not a SIP start line: ${start}`);
  return { method: req[1], uri: req[2], headers, body };
}

export function serialize(msg: SipMessage): string {
  const start = msg.method ? `${msg.method} ${msg.uri} SIP/2.0` : `SIP/2.0 ${msg.status} ${msg.reason ?? ''}`;
  const headers = msg.headers.filter(([n]) => canon(n) !== 'content-length');
  headers.push(['Content-Length', String(Buffer.byteLength(msg.body))]);
  return `${start}\r\n${headers.map(([n, v]) => `${n}: ${v}`).join('\r\n')}\r\n\r\n${msg.body}`;
}

/** first value of a header (case-insensitive, compact forms understood) */
export function header(msg: SipMessage, name: string): string | undefined {
  const want = canon(name);
  return msg.headers.find(([n]) => canon(n) === want)?.[1];
}

/** split a comma-separated header value, leaving commas inside <...> and "..." alone */
export function splitList(value: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let cur = '';
  for (const ch of value) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch === '<') depth++;
    else if (!quoted && ch === '>') depth--;
    if (ch === ',' && depth === 0 && !quoted) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

/** every value of a header, across repeated lines and comma lists, in order */
export function headerAll(msg: SipMessage, name: string): string[] {
  const want = canon(name);
  return msg.headers.filter(([n]) => canon(n) === want).flatMap(([, v]) => splitList(v));
}

export function tagOf(nameAddr: string | undefined): string | undefined {
  return nameAddr ? /;\s*tag=([^;>\s]+)/i.exec(nameAddr)?.[1] : undefined;
}

/** the URI inside <...> (or the bare value) */
export function uriOf(nameAddr: string): string {
  const m = /<([^>]+)>/.exec(nameAddr);
  return (m?.[1] ?? nameAddr.split(';')[0] ?? '').trim();
}

export function cseqOf(msg: SipMessage): { seq: number; method: string } {
  const [seq, method] = (header(msg, 'CSeq') ?? '0 X').split(/\s+/);
  return { seq: Number(seq), method: method ?? '' };
}

let counter = 0;
export function randomToken(prefix = ''): string {
  counter += 1;
  return `${prefix}${Date.now().toString(36)}${Math.random().toString(36).slice(2, 10)}${counter}`;
}

/** a response to `req` with the headers RFC 3261 §8.2.6 copies */
export function responseTo(req: SipMessage, status: number, reason: string, opts: { toTag?: string; headers?: [string, string][]; body?: string } = {}): SipMessage {
  const headers: [string, string][] = [];
  for (const [n, v] of req.headers) {
    const c = canon(n);
    if (c === 'via' || c === 'from' || c === 'call-id' || c === 'cseq' || c === 'record-route') headers.push([n, v]);
    else if (c === 'to') headers.push([n, opts.toTag && !tagOf(v) ? `${v};tag=${opts.toTag}` : v]);
  }
  headers.push(...(opts.headers ?? []));
  return { status, reason, headers, body: opts.body ?? '' };
}

/** incremental framing of a stream transport (TCP/TLS) into SIP messages */
export class StreamFramer {
  private buf = Buffer.alloc(0);

  push(chunk: Buffer): SipMessage[] {
    this.buf = Buffer.concat([this.buf, chunk]);
    const out: SipMessage[] = [];
    for (;;) {
      // skip CRLF keep-alives
      while (this.buf.length >= 2 && this.buf[0] === 13 && this.buf[1] === 10) this.buf = this.buf.subarray(2);
      const end = this.buf.indexOf('\r\n\r\n');
      if (end < 0) break;
      const head = this.buf.subarray(0, end).toString('utf8');
      const len = Number(/\r\n(?:content-length|l)\s*:\s*(\d+)/i.exec(`\r\n${head}`)?.[1] ?? 0);
      const total = end + 4 + len;
      if (this.buf.length < total) break;
      out.push(parseMessage(this.buf.subarray(0, total).toString('utf8')));
      this.buf = this.buf.subarray(total);
    }
    return out;
  }
}
