import { readFileSync } from 'node:fs';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { connect } from 'node:tls';
import type { MetaConfig } from '../config/types';
import { bareHost } from '../util/sip-uri';

/** where a business-initiated INVITE is sent: an address whose certificate was just verified */
export interface PinnedAddress {
  address: string;
  port: number;
}

export type Resolver = (host: string) => Promise<string[]>;

const systemResolver: Resolver = async (host) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

/**
 * Meta's certificate, checked on the call's own path (SPEC M1). drachtio-server's TLS
 * client does not verify peers, so the gateway resolves Meta's host itself, verifies the
 * certificate (chain to the configured CA or the system's, and the expected name) at one
 * address, and the INVITE is then sent to exactly that address. A failure there refuses
 * the call; the next address is not tried, so an address that presents the wrong
 * certificate never gets a call. A success is remembered per address for `cacheMs`.
 */
export class MetaTlsVerifier {
  private readonly okUntil = new Map<string, number>();
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly ca: string | undefined;

  constructor(
    private readonly meta: MetaConfig,
    private readonly resolve: Resolver = systemResolver,
    private readonly cacheMs = 60_000,
    private readonly timeoutMs = 5000,
  ) {
    this.ca = meta.outbound_tls_ca_file ? readFileSync(meta.outbound_tls_ca_file, 'utf8') : undefined;
  }

  /** the address the INVITE goes to, once its certificate is verified; rejects with why not */
  async pin(): Promise<PinnedAddress> {
    const host = bareHost(this.meta.outbound_host);
    const port = this.meta.outbound_port;
    const addresses = isIP(host) ? [host] : await this.resolve(host).catch((err: Error) => {
      throw new Error(`Meta TLS check: cannot resolve ${host}: ${err.message}`);
    });
    const address = addresses[0];
    if (!address) throw new Error(`Meta TLS check: ${host} has no address`);
    const key = `${address}:${port}`;
    if ((this.okUntil.get(key) ?? 0) <= Date.now()) {
      let check = this.inFlight.get(key);
      if (!check) {
        check = this.check(address, port).finally(() => this.inFlight.delete(key));
        this.inFlight.set(key, check);
      }
      await check;
    }
    return { address, port };
  }

  private check(address: string, port: number): Promise<void> {
    const servername = this.meta.outbound_tls_servername;
    return new Promise((resolve, reject) => {
      const sock = connect({ host: address, port, servername, ca: this.ca, rejectUnauthorized: true, timeout: this.timeoutMs });
      const fail = (why: string) => {
        sock.destroy();
        reject(new Error(`Meta TLS check ${address}:${port} (${servername}): ${why}`));
      };
      sock.once('secureConnect', () => {
        sock.end();
        this.okUntil.set(`${address}:${port}`, Date.now() + this.cacheMs);
        resolve();
      });
      sock.once('timeout', () => fail('timeout'));
      sock.once('error', (err) => fail(err.message));
    });
  }
}
