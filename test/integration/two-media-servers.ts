import type { MetaPeer } from '../support/sip/meta-peer';
import type { PbxPeer } from '../support/sip/pbx-peer';
import { findServers, SPARE_BED, startFreeswitch, type Running } from '../support/servers';
import { gatewayYaml, startGateway, startMeta, startPbx, until, type Gateway } from './harness';

/** A second FreeSWITCH from SPARE_BED beside the test bed's, and a gateway that uses both. */
export interface TwoMediaServers { fs2: Running; gw: Gateway; meta: MetaPeer; pbx: PbxPeer; stop(): Promise<void> }

export async function startTwoMediaServers(name: string, o: { httpPort?: number } = {}): Promise<TwoMediaServers> {
  const second = SPARE_BED.freeswitch;
  const fs2 = await startFreeswitch(findServers().freeswitch!, second, 'freeswitch-second');
  let yaml = gatewayYaml().replace('    secret_env: TEST_FS_SECRET\n',
    `    secret_env: TEST_FS_SECRET\n  - host: ${second.host}\n    port: ${second.eslPort}\n    secret_env: TEST_FS_SECRET\n`);
  if (o.httpPort) yaml = yaml.replace('http:\n  port: 0', `http:\n  port: ${o.httpPort}`);
  const gw = await startGateway(name, yaml);
  await until(() => gw.app.media.healthyCount() === 2, 10_000, 'both media servers connected');
  const meta = await startMeta();
  await meta.connect();
  const pbx = await startPbx();
  return {
    fs2, gw, meta, pbx,
    stop: async () => {
      await meta.close();
      pbx.close();
      await gw.app.stop();
      await fs2.stop();
    },
  };
}
