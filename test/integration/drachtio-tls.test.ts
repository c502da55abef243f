import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { dhParams } from '../support/certs';
import type { RtpPeer } from '../support/media/rtp-peer';
import type { MetaPeer } from '../support/sip/meta-peer';
import type { PbxPeer } from '../support/sip/pbx-peer';
import { header } from '../support/sip/message';
import { findServers, SPARE_BED, startDrachtio, type Running } from '../support/servers';
import { establishInbound } from './flows';
import { expectClean, gatewayYaml, launchGateway, startGateway, startMeta, startPbx, testBed, until, type Gateway } from './harness';

/**
 * Issue 5 (resilience): the gateway's admin connection to drachtio-server over TLS, with
 * drachtio-server's certificate verified; a restart is followed by a reconnect over TLS.
 */
const bed = { drachtio: { ...SPARE_BED.drachtio, adminPort: 19222, tlsPort: 15261, udpPort: 15260 } };
const ADMIN_TLS_PORT = 19223;

describe.skipIf(!testBed)('drachtio-server admin connection over TLS', () => {
  let drachtio: Running;
  let gw: Gateway | null = null;
  let meta: MetaPeer;
  let pbx: PbxPeer;
  const rtp: RtpPeer[] = [];
  const start = () => startDrachtio(findServers().drachtio!, testBed!.certs.gateway, bed.drachtio, 'drachtio-tls',
    ['--tls-port', String(ADMIN_TLS_PORT), '--dh-param', dhParams(testBed!.certs.dir)]);
  const yaml = (ca: string) => gatewayYaml().replace(/drachtio:\n  host: .*\n  port: .*\n/, `drachtio:\n  host: 127.0.0.1\n  port: ${ADMIN_TLS_PORT}\n  tls: true\n  tls_ca_file: "${ca}"\n  tls_servername: gw.test\n`);

  beforeAll(async () => {
    drachtio = await start();
    pbx = await startPbx(undefined, bed.drachtio);
  });
  afterEach(async () => {
    for (const r of rtp.splice(0)) await r.close();
    await gw?.app.stop();
    gw = null;
  });
  afterAll(async () => {
    await meta?.close();
    pbx?.close();
    await drachtio?.stop();
  });

  it('connects over TLS, carries a call, and reconnects over TLS after drachtio-server restarts', async () => {
    gw = await startGateway('drachtio-tls', yaml(join(testBed!.certs.dir, 'ca.crt')));
    meta = await startMeta(bed.drachtio);
    await meta.connect();
    const c = await establishInbound(meta, pbx, rtp);
    expect((await meta.request(meta.inDialog(c.metaDialog, 'BYE'))).status).toBe(200);
    await pbx.waitRequest('BYE', header(c.inv.msg, 'Call-ID')!);
    await expectClean(gw);

    await drachtio.stop();
    await until(() => !gw!.app.isDrachtioConnected(), 5000, 'connection loss seen');
    drachtio = await start();
    await until(() => gw!.app.isDrachtioConnected(), 20_000, 'reconnected over TLS');
    await meta.close();
    meta = await startMeta(bed.drachtio);
    await meta.connect();
    const again = await establishInbound(meta, pbx, rtp);
    expect((await meta.request(meta.inDialog(again.metaDialog, 'BYE'))).status).toBe(200);
    await pbx.waitRequest('BYE', header(again.inv.msg, 'Call-ID')!);
    await expectClean(gw);
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
