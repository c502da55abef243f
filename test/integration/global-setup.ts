import type { TestProject } from 'vitest/node';
import { makeCerts, type CertSet } from '../support/certs';
import { findServers, IPV6_TLS_CONTACT, RUN_DIR, startDrachtio, startFreeswitch, TEST_BED, type Running } from '../support/servers';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export interface TestBedInfo {
  certs: CertSet;
  drachtioLog: string;
  freeswitchLog: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    testBed: TestBedInfo | null;
  }
}

/**
 * Starts the real drachtio-server and FreeSWITCH once for the integration project. When
 * either binary is missing the suite says so in one line and its tests are skipped.
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const bins = findServers();
  const missing = [!bins.drachtio && 'drachtio-server (DRACHTIO_BIN or drachtio on PATH)', !bins.freeswitch && 'FreeSWITCH (FREESWITCH_BIN or freeswitch on PATH)'].filter(Boolean);
  if (missing.length || !bins.drachtio || !bins.freeswitch) {
    process.stdout.write(`SKIPPED: integration tests: ${missing.join(' and ')} not found\n`);
    project.provide('testBed', null);
    return undefined;
  }
  // the gateways' config, CDR and log files go here; any test file may be the first to run (a fresh clone in CI)
  mkdirSync(join(RUN_DIR, 'gateway'), { recursive: true });
  const certs = makeCerts(join(RUN_DIR, 'certs'), TEST_BED.gatewayHostname);
  const started: Running[] = [];
  try {
    started.push(await startFreeswitch(bins.freeswitch));
    started.push(await startDrachtio(bins.drachtio, certs.gateway, TEST_BED.drachtio, 'drachtio', IPV6_TLS_CONTACT()));
  } catch (err) {
    await Promise.all(started.map((s) => s.stop()));
    throw err;
  }
  project.provide('testBed', { certs, freeswitchLog: started[0]!.logFile, drachtioLog: started[1]!.logFile });
  return async () => {
    await Promise.all(started.reverse().map((s) => s.stop()));
  };
}
