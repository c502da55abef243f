import { isIP } from 'node:net';

/**
 * Hosts in the SIP URIs we build. An IPv6 address goes in brackets (RFC 3261 §25.1
 * `IPv6reference`, RFC 5118 §4.1); `sip:1001@::1:5060` would not parse at the far end.
 */

/** `::1` → `[::1]`; an IPv4 address, a name or an already bracketed address stays as it is */
export function uriHost(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host;
}

/** `host:port` for a URI, the host bracketed when IPv6 */
export function uriHostPort(host: string, port: number | string): string {
  return `${uriHost(host)}:${port}`;
}

/** `[::1]` → `::1` (what node:net and node:tls take); anything else unchanged */
export function bareHost(host: string): string {
  const m = /^\[([^\]]+)\]$/.exec(host);
  return m && isIP(m[1]!) === 6 ? m[1]! : host;
}

export interface TransportHostport {
  transport: string;
  /** as drachtio-server gives it: IPv6 in brackets */
  host: string;
  port: number;
}

/**
 * drachtio-server's hostports, as it reports them on connect:
 * `tcp/127.0.0.1:5060,udp/127.0.0.1:5060,tls/[::1]:5061`. Entries that do not parse are left out.
 */
export function parseHostports(list: string): TransportHostport[] {
  const out: TransportHostport[] = [];
  for (const item of list.split(',')) {
    const m = /^(\w+)\/(\[[0-9a-fA-F:.]+\]|[^:/[\]]+):(\d{1,5})$/.exec(item.trim());
    if (!m) continue;
    const host = m[2]!;
    if (host.startsWith('[') && isIP(host.slice(1, -1)) !== 6) continue;
    out.push({ transport: m[1]!.toLowerCase(), host, port: Number(m[3]) });
  }
  return out;
}

/**
 * Where a local SIP peer (FreeSWITCH) reaches drachtio-server over `transport`: the first
 * such listener of the preferred address family, else of the other; an unspecified
 * address (`0.0.0.0`, `[::]`) becomes loopback. Null when drachtio listens on no such transport.
 */
export function localSipTarget(hostports: readonly TransportHostport[], transport: string, prefer: 4 | 6 = 4): string | null {
  const ofFamily = (f: 4 | 6) => hostports.find((h) => h.transport === transport && isIP(bareHost(h.host)) === f);
  const hp = ofFamily(prefer) ?? ofFamily(prefer === 4 ? 6 : 4) ?? hostports.find((h) => h.transport === transport);
  if (!hp) return null;
  const host = hp.host === '0.0.0.0' ? '127.0.0.1' : hp.host === '[::]' ? '[::1]' : hp.host;
  return `${host}:${hp.port}`;
}
