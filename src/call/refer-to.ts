import { isIP } from 'node:net';

/**
 * The Refer-To of a REFER (RFC 3515 §2.1): a name-addr (`"Bob" <sip:1002@pbx;transport=udp>`)
 * or an addr-spec (`sip:1002@pbx`), whose URI may carry headers after `?` — an attended
 * transfer's `Replaces` (RFC 3891 §7.1) rides there, escaped.
 */
export interface ReferTarget {
  scheme: string;
  /** the user part, unescaped ('' when the URI has none) */
  user: string;
  /** lower case; an IPv6 address without its brackets */
  host: string;
  port: number | null;
  /** URI parameters (`transport`, `method`, ...), names in lower case */
  params: Record<string, string>;
  /** URI headers (`replaces`, ...), names in lower case, values unescaped */
  headers: Record<string, string>;
}

/** how many values a (possibly comma-joined) header holds: commas inside <...> or "..." do not count */
export function countValues(value: string): number {
  let depth = 0;
  let quoted = false;
  let n = value.trim() ? 1 : 0;
  for (const ch of value) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch === '<') depth++;
    else if (!quoted && ch === '>') depth--;
    else if (!quoted && depth === 0 && ch === ',') n++;
  }
  return n;
}

const URI = /^([a-z][a-z0-9+.-]*):(?:([^@]*)@)?(\[[0-9a-f:.]+\]|[^:;?[\]]+)(?::(\d{1,5}))?((?:;[^?]*)?)(?:\?(.*))?$/i;

/** the target of a single Refer-To value; null when it is no URI we can read */
export function parseReferTo(value: string): ReferTarget | null {
  const v = value.trim();
  // name-addr: the URI is inside <...>; addr-spec: up to the first ';' (those are header parameters)
  const inner = v.includes('<') ? /<([^>]*)>/.exec(v)?.[1] : v.split(';')[0];
  const m = inner ? URI.exec(inner.trim()) : null;
  if (!m) return null;
  const host = m[3]!.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (m[3]!.startsWith('[') && isIP(host) !== 6) return null;
  const user = unescape(m[2]?.split(':')[0] ?? '');
  if (user === null) return null;
  const headers: Record<string, string> = {};
  for (const pair of (m[6] ?? '').split('&').filter(Boolean)) {
    const [name, ...rest] = pair.split('=');
    const val = unescape(rest.join('='));
    if (!name || val === null) return null;
    headers[name.toLowerCase()] = val;
  }
  const params: Record<string, string> = {};
  for (const p of (m[5] ?? '').split(';').filter(Boolean)) {
    const [name, ...rest] = p.split('=');
    params[name!.toLowerCase()] = rest.join('=');
  }
  return { scheme: m[1]!.toLowerCase(), user, host, port: m[4] ? Number(m[4]) : null, params, headers };
}

function unescape(s: string): string | null {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}
