import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, RUN_DIR } from './servers';

/** The gateway as operators run it: its own process, config file, env secrets, signals. */
export class GatewayProcess {
  private exitCode: Promise<number | null>;

  private constructor(readonly proc: ChildProcess, readonly logFile: string, readonly httpPort: number) {
    this.exitCode = new Promise((resolve) => proc.once('exit', (code) => resolve(code)));
  }

  static start(configFile: string, env: Record<string, string>, httpPort: number, name: string, nodeArgs: string[] = []): GatewayProcess {
    const logFile = join(RUN_DIR, 'logs', `${name}.log`);
    const fd = openSync(logFile, 'w');
    const proc = spawn(process.execPath, [...nodeArgs, '--require', 'tsx/cjs', join(ROOT, 'src/index.ts')], {
      cwd: ROOT, env: { PATH: process.env.PATH ?? '', WA_GW_CONFIG: configFile, ...env }, stdio: ['ignore', fd, fd],
    });
    return new GatewayProcess(proc, logFile, httpPort);
  }

  async get(path: string): Promise<{ status: number; body: string }> {
    const r = await fetch(`http://127.0.0.1:${this.httpPort}${path}`);
    return { status: r.status, body: await r.text() };
  }

  /** wait until /readyz answers `status` */
  async readyz(status: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await this.get('/readyz').catch(() => ({ status: 0, body: '' }));
      if (r.status === status) return;
      if (Date.now() > deadline) throw new Error(`/readyz did not become ${status} (last ${r.status} ${r.body})`);
      await new Promise((res) => setTimeout(res, 200));
    }
  }

  /** the value of one Prometheus sample, e.g. `wagw_calls_total{direction="user-initiated",status="200"}` */
  async metric(sample: string): Promise<number> {
    const { body } = await this.get('/metrics');
    const line = body.split('\n').find((l) => l.startsWith(`${sample} `));
    return line ? Number(line.slice(sample.length + 1)) : 0;
  }

  /** the sum of every labelled sample of a metric, e.g. all `wagw_active_calls{...}` */
  async metricSum(name: string): Promise<number> {
    const { body } = await this.get('/metrics');
    return body.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
      .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  }

  log(): string {
    return readFileSync(this.logFile, 'utf8');
  }

  signal(sig: NodeJS.Signals): void {
    this.proc.kill(sig);
  }

  exited(timeoutMs: number): Promise<number | null> {
    return Promise.race([this.exitCode, new Promise<number | null>((_, reject) => setTimeout(() => reject(new Error('gateway did not exit')), timeoutMs))]);
  }

  async kill(): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      this.proc.kill('SIGKILL');
      await this.exitCode;
    }
  }
}
