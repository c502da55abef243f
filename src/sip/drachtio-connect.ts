import { readFileSync } from 'node:fs';
import type { DrachtioConfig } from '../config/types';

export interface DrachtioConnectOptions {
  host: string;
  port: number;
  secret: string;
  tls?: { ca?: string; servername: string; rejectUnauthorized: true };
}

/**
 * drachtio-srf's connect options. Over TLS, drachtio-server's certificate is always
 * verified (CA bundle from `tls_ca_file`, else the system's; name `tls_servername`):
 * the admin connection carries every call's SIP and the shared secret.
 */
export function drachtioConnectOptions(d: DrachtioConfig): DrachtioConnectOptions {
  const base = { host: d.host, port: d.port, secret: d.secret };
  if (!d.tls) return base;
  return {
    ...base,
    tls: { ...(d.tls_ca_file ? { ca: readFileSync(d.tls_ca_file, 'utf8') } : {}), servername: d.tls_servername, rejectUnauthorized: true },
  };
}

const TLS_RETRY_MS = 2000;

interface SrfConnector {
  connect(opts: object): unknown;
  on(event: 'close', cb: () => void): unknown;
}

/**
 * Connect to drachtio-server and stay connected; returns a function that stops reconnecting.
 * Over TCP drachtio-srf reconnects on its own. Over TLS it does not: its reconnect opens a
 * plain TCP socket whatever the first connection was (drachtio-srf 5.0.x, wire-protocol.js),
 * so a restarted drachtio-server would never be reached again. Over TLS, then, drachtio-srf
 * makes one attempt per connect() and the gateway starts a new one every 2 s after a close.
 */
export function connectDrachtio(srf: SrfConnector, d: DrachtioConfig): () => void {
  const opts = drachtioConnectOptions(d);
  if (!opts.tls) {
    srf.connect(opts);
    return () => undefined;
  }
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const attempt = () => srf.connect({ ...opts, reconnect: { maxAttempts: 1 } });
  srf.on('close', () => {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(attempt, TLS_RETRY_MS);
  });
  attempt();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
