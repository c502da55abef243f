import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import Redis from 'ioredis';
import pino from 'pino';
import { startCallRouter } from '../../src/cluster/call-router';
import { RedisLimitsStore } from '../../src/cluster/redis-limits-store';
import { fsApi } from '../support/esl';
import { GatewayProcess } from '../support/gateway-process';
import { REDIS_BED, RedisServer } from '../support/redis';
import { RUN_DIR, SPARE_BED, startDrachtio, TEST_BED, type Running } from '../support/servers';
import { gatewayYaml, launchGateway, testBed, TEST_ENV, until, type Gateway } from './harness';

/**
 * Two gateway instances on one drachtio-server (issue 13): drachtio-server on the spare
 * ports, asking the call router (in this process) which instance takes each new request;
 * instance "a" in this process, instance "b" as its own process (so it can be SIGKILLed);
 * Redis holding their limits and used nonces; the test bed's FreeSWITCH for both.
 */
export const ROUTER_PORT = 13010;
export const B_HTTP_PORT = 18092;
export const A_HTTP_PORT = 18093;
export const LEASE_SECONDS = 3;
const bed = SPARE_BED;

export function clusterYaml(id: string, o: { onUnreachable?: 'fail-open' | 'fail-closed'; perNumber?: number } = {}): string {
  const secretFile = join(RUN_DIR, 'gateway', 'cluster-secret');
  mkdirSync(join(RUN_DIR, 'gateway'), { recursive: true });
  writeFileSync(secretFile, 'cluster-test-secret-0123456789\n');
  return gatewayYaml(`limits:
  max_calls_per_number: ${o.perNumber ?? 3}
cluster:
  instance_id: ${id}
  secret_file: ${secretFile}
redis:
  host: ${REDIS_BED.host}
  port: ${REDIS_BED.port}
  on_unreachable: ${o.onUnreachable ?? 'fail-closed'}
  lease_seconds: ${LEASE_SECONDS}
  command_timeout_ms: 300
`, { drachtio: bed.drachtio, freeswitch: TEST_BED.freeswitch });
}

export interface ClusterBed {
  redis: RedisServer;
  drachtio: Running;
  router: Server;
  a: Gateway;
  b: GatewayProcess;
  /** what Redis counts, all instances together */
  totals(): Promise<{ total: number; byNumber: Record<string, number> }>;
  /** a sample of instance a's /metrics */
  metricA(sample: string): Promise<number>;
  startB(): Promise<GatewayProcess>;
  logA(): string;
  close(): Promise<void>;
}

export async function startClusterBed(redisBin: string, drachtioBin: string, opts: { onUnreachable?: 'fail-open' | 'fail-closed' } = {}): Promise<ClusterBed> {
  const started: (() => Promise<void>)[] = [];
  const undo = async () => {
    for (const stop of started.reverse()) await stop().catch(() => undefined);
  };
  let redis: RedisServer, router: Server, drachtio: Running, a: Gateway;
  try {
    redis = await RedisServer.start(redisBin);
    started.push(() => redis.kill());
    router = await startCallRouter('127.0.0.1', ROUTER_PORT, pino({ level: 'silent' }));
    started.push(() => new Promise<void>((r) => router.close(() => r())));
    drachtio = await startDrachtio(drachtioBin, testBed!.certs.gateway, bed.drachtio, 'drachtio-cluster', ['--http-handler', `http://127.0.0.1:${ROUTER_PORT}/route`]);
    started.push(() => drachtio.stop());
    a = await launchGateway('cluster-a', clusterYaml('gw-a', opts).replace('http:\n  port: 0', `http:\n  port: ${A_HTTP_PORT}`));
    started.push(() => a.app.stop());
    await until(() => a.app.isDrachtioConnected() && a.app.media.healthyCount() > 0, 10_000, 'instance a connected');
  } catch (err) {
    await undo(); // nothing left running for the next file
    throw err;
  }
  const bFile = join(RUN_DIR, 'gateway', 'cluster-b.yaml');
  writeFileSync(bFile, `${clusterYaml('gw-b', opts).replace('http:\n  port: 0', `http:\n  port: ${B_HTTP_PORT}`)}\ncdr:\n  file: ${join(RUN_DIR, 'gateway', 'cluster-b.cdr.jsonl')}\n`);
  const client = new Redis({ host: REDIS_BED.host, port: REDIS_BED.port, lazyConnect: true, maxRetriesPerRequest: 1 });
  client.on('error', () => undefined); // Redis is stopped on purpose in a test
  await client.connect();
  const store = new RedisLimitsStore(client, '{wagw}', 'test', 1000);
  const self: ClusterBed = {
    redis, drachtio, router, a,
    b: null as unknown as GatewayProcess,
    totals: () => store.totals(),
    async metricA(sample) {
      const body = await (await fetch(`http://127.0.0.1:${a.app.httpPort()}/metrics`)).text();
      const line = body.split('\n').find((l) => l.startsWith(`${sample} `));
      return line ? Number(line.slice(sample.length + 1)) : 0;
    },
    async startB() {
      self.b = GatewayProcess.start(bFile, TEST_ENV, B_HTTP_PORT, 'gateway-cluster-b');
      await self.b.readyz(200, 20_000);
      return self.b;
    },
    logA: () => readFileSync(a.logFile, 'utf8'),
    async close() {
      await self.b?.kill();
      await a.app.stop();
      client.disconnect();
      await drachtio.stop();
      await new Promise<void>((r) => router.close(() => r()));
      await redis.kill();
      // what a SIGKILLed instance left on FreeSWITCH
      const f = TEST_BED.freeswitch;
      await fsApi(f.host, f.eslPort, f.password, 'hupall NORMAL_CLEARING').catch(() => '');
    },
  };
  try {
    await self.startB();
  } catch (err) {
    await self.close();
    throw err;
  }
  return self;
}
