import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import type { DrachtioConfig } from '../config/types';
import { bareHost } from '../util/sip-uri';

export interface DrachtioConnectOptions {
  host: string;
  port: number;
  secret: string;
  tls?: {
    ca?: string;
    /** SNI and the name checked; absent when the name is an IP address (RFC 6066 allows only host names in SNI) */
    servername?: string;
    rejectUnauthorized: true;
    checkServerIdentity?: (host: string, cert: PeerCertificate) => Error | undefined;
  };
}

/**
 * drachtio-srf's connect options. Over TLS, drachtio-server's certificate is always
 * verified (CA bundle from `tls_ca_file`, else the system's; name `tls_servername`):
 * the admin connection carries every call's SIP and the shared secret. The host may be an
 * IPv6 address, bracketed or not (node:net takes it bare); a name that is an IP address is
 * checked against the certificate's IP entries, not sent as SNI.
 */
export function drachtioConnectOptions(d: DrachtioConfig): DrachtioConnectOptions {
  const base = { host: bareHost(d.host), port: d.port, secret: d.secret };
  if (!d.tls) return base;
  const name = bareHost(d.tls_servername);
  const identity = isIP(name) ? { checkServerIdentity: (_host: string, cert: PeerCertificate) => checkServerIdentity(name, cert) } : { servername: name };
  return {
    ...base,
    tls: { ...(d.tls_ca_file ? { ca: readFileSync(d.tls_ca_file, 'utf8') } : {}), ...identity, rejectUnauthorized: true },
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
