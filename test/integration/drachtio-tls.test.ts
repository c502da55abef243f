import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { dhParams } from '../support/certs';
import { findServers, SPARE_BED, startDrachtio, type Running } from '../support/servers';
import { gatewayYaml, launchGateway, startGateway, testBed, until, type Gateway } from './harness';

/**
 * Issue 5 (resilience): the gateway's admin connection to drachtio-server over TLS, with
 * drachtio-server's certificate verified; a restart is followed by a reconnect over TLS.
 */
const bed = { drachtio: { ...SPARE_BED.drachtio, adminPort: 19222, tlsPort: 15261, udpPort: 15260 } };
const ADMIN_TLS_PORT = 19223;

describe.skipIf(!testBed)('drachtio-server admin connection over TLS', () => {
  let drachtio: Running;
  let gw: Gateway | null = null;
  const start = () => startDrachtio(findServers().drachtio!, testBed!.certs.gateway, bed.drachtio, 'drachtio-tls',
    ['--tls-port', String(ADMIN_TLS_PORT), '--dh-param', dhParams(testBed!.certs.dir)]);
  const yaml = (ca: string) => gatewayYaml().replace(/drachtio:\n  host: .*\n  port: .*\n/, `drachtio:\n  host: 127.0.0.1\n  port: ${ADMIN_TLS_PORT}\n  tls: true\n  tls_ca_file: "${ca}"\n  tls_servername: gw.test\n`);

  beforeAll(async () => {
    drachtio = await start();
  });
  afterEach(async () => {
    await gw?.app.stop();
    gw = null;
  });
  afterAll(async () => {
    await drachtio?.stop();
  });

  // Calls are not placed over this connection here: with drachtio-server v0.9.10 a message on
  // its TLS admin port was sometimes held back until the next one (a 180, a BYE; 3 runs of 4),
  // which no reconnect logic of ours can fix. The README says so; the connection itself is tested.
  it('connects over TLS with the certificate verified, and reconnects over TLS after drachtio-server restarts', async () => {
    gw = await startGateway('drachtio-tls', yaml(join(testBed!.certs.dir, 'ca.crt')));
    const log = () => readFileSync(gw!.logFile, 'utf8');
    expect(log()).toMatch(new RegExp(`"hostport":"tls/127.0.0.1:${bed.drachtio.tlsPort}`));
    await drachtio.stop();
    await until(() => !gw!.app.isDrachtioConnected(), 5000, 'connection loss seen');
    drachtio = await start();
    // drachtio-srf's own reconnect would open plain TCP to the TLS port and never get through
    await until(() => gw!.app.isDrachtioConnected(), 20_000, 'reconnected over TLS');
    expect(log().match(/"msg":"connected to drachtio-server"/g)).toHaveLength(2);
  }, 60_000);

  it('refuses a drachtio-server whose certificate does not verify, and says why', async () => {
    // the system's CA bundle does not know the test CA
    gw = await launchGateway('drachtio-tls-bad', yaml(''));
    await until(() => readFileSync(gw!.logFile, 'utf8').includes('drachtio-server connection error'), 10_000, 'the refusal logged');
    expect(gw.app.isDrachtioConnected()).toBe(false);
    expect(readFileSync(gw.logFile, 'utf8')).toMatch(/"msg":"drachtio-server connection error"/);
    expect(readFileSync(gw.logFile, 'utf8')).toMatch(/certificate/i);
  }, 30_000);
});
