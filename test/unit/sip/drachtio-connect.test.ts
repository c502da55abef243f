import type { PeerCertificate } from 'node:tls';
import { describe, expect, it } from 'vitest';
import type { DrachtioConfig } from '../../../src/config/types';
import { drachtioConnectOptions } from '../../../src/sip/drachtio-connect';

const conf = (over: Partial<DrachtioConfig>): DrachtioConfig => ({
  host: '127.0.0.1', port: 9022, secret: 's', tls: false, tls_ca_file: '', tls_servername: '127.0.0.1', ...over,
});
const cert = (subjectaltname: string) => ({ subject: {}, subjectaltname } as unknown as PeerCertificate);

describe("drachtio-server's address", () => {
  it('an IPv6 host, bracketed or not, is given to node:net bare', () => {
    expect(drachtioConnectOptions(conf({ host: '[::1]' }))).toEqual({ host: '::1', port: 9022, secret: 's' });
    expect(drachtioConnectOptions(conf({ host: '::1' })).host).toBe('::1');
    expect(drachtioConnectOptions(conf({ host: 'drachtio.internal' })).host).toBe('drachtio.internal');
  });

  it('over TLS a host name is the SNI and the name checked', () => {
    const o = drachtioConnectOptions(conf({ tls: true, tls_servername: 'drachtio.example.com' }));
    expect(o.tls).toEqual({ servername: 'drachtio.example.com', rejectUnauthorized: true });
  });

  it('over TLS an IP address (IPv6 too) is no SNI, but the certificate must carry it', () => {
    const o = drachtioConnectOptions(conf({ host: '[::1]', tls: true, tls_servername: '[::1]' }));
    expect(o.tls?.servername).toBeUndefined();
    expect(o.tls?.rejectUnauthorized).toBe(true);
    const check = o.tls!.checkServerIdentity!;
    expect(check('::1', cert('IP Address:0:0:0:0:0:0:0:1'))).toBeUndefined();
    expect(check('::1', cert('DNS:drachtio.example.com'))).toBeInstanceOf(Error);
    expect(check('::1', cert('IP Address:127.0.0.1'))).toBeInstanceOf(Error);
  });
});
