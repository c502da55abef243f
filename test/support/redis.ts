import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { findBinary, killNow, RUN_DIR, waitForPort } from './servers';

/**
 * Debian's redis-server for the tests of several gateway instances (issue 13), on
 * loopback, without persistence: a restart comes back empty, as a crashed Redis may.
 */
export const REDIS_BED = { host: '127.0.0.1', port: 16379 };

export function findRedis(): string | null {
  return findBinary('REDIS_BIN', 'redis-server', ['/usr/bin/redis-server', '/usr/local/bin/redis-server']);
}

export class RedisServer {
  private constructor(private proc: ChildProcess, private readonly bin: string, readonly port: number) {}

  static async start(bin: string, port = REDIS_BED.port): Promise<RedisServer> {
    return new RedisServer(await RedisServer.spawn(bin, port), bin, port);
  }

  private static async spawn(bin: string, port: number): Promise<ChildProcess> {
    mkdirSync(join(RUN_DIR, 'logs'), { recursive: true });
    const fd = openSync(join(RUN_DIR, 'logs', `redis-${port}.log`), 'a');
    const proc = spawn(bin, ['--bind', REDIS_BED.host, '--port', String(port), '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'], { stdio: ['ignore', fd, fd] });
    const exited = new Promise<never>((_, reject) => proc.once('exit', (code) => reject(new Error(`redis-server exited (${code}) at start: is port ${port} taken? see .test-run/logs/redis-${port}.log`))));
    // a redis-server left over on the port would answer, and this one be gone: it must be this one
    await Promise.race([exited, new Promise((r) => setTimeout(r, 200)).then(() => waitForPort(REDIS_BED.host, port, 10_000))]);
    if (proc.exitCode !== null) await exited;
    return proc;
  }

  /** stop it hard (no goodbye to the clients), as a crash would */
  async kill(): Promise<void> {
    await killNow(this.proc);
  }

  /** a new, empty redis-server on the same port */
  async restart(): Promise<void> {
    await this.kill();
    this.proc = await RedisServer.spawn(this.bin, this.port);
  }
}
