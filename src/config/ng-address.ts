import { isIP } from 'node:net';

/**
 * rtpengine's ng control address as the config writes it: `host:port`, an IPv6 host in
 * brackets (`[::1]:22222`). null when it is not one.
 */
export function parseNgAddress(s: string): { host: string; port: number } | null {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(s.trim());
  if (!m) return null;
  const host = m[1] ?? m[2]!;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return null;
  if (m[1] !== undefined && isIP(host) !== 6) return null;
  return { host, port };
}
