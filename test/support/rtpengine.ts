import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { NgClient } from '../../src/media/rtpengine/ng-client';
import { findBinary, killNow, RUN_DIR } from './servers';

/**
 * Debian's rtpengine (rtpengine-daemon 10.5) for the DTLS tests (issue 11): in the
 * foreground, in userspace (`--table=-1`: no kernel forwarding), on loopback with interfaces
 * 127.0.0.1 and ::1, its ng control port and an RTP range of its own. Started and stopped by
 * the test file that needs it, like Redis (test/support/redis.ts), since a test stops it mid-call.
 */
export const RTPENGINE_BED = { host: '127.0.0.1', ngPort: 22322, portMin: 34000, portMax: 34999 };

export function findRtpengine(): string | null {
  return findBinary('RTPENGINE_BIN', 'rtpengine', ['/usr/bin/rtpengine', '/usr/local/bin/rtpengine']);
}

export class RtpengineServer {
  private readonly ng = new NgClient(RTPENGINE_BED.host, RTPENGINE_BED.ngPort, 1000);

  private constructor(private proc: ChildProcess, private readonly bin: string, private readonly extraArgs: string[]) {}

  get address(): string {
    return `${RTPENGINE_BED.host}:${RTPENGINE_BED.ngPort}`;
  }

  /** the running child's pid (the bench reads its CPU time from /proc) */
  get pid(): number {
    if (this.proc.pid === undefined) throw new Error('rtpengine has no pid');
    return this.proc.pid;
  }

  /** `extraArgs`: more command-line options (the bench: `--log-level-codec=7`, to read the encoders' settings) */
  static async start(bin: string, extraArgs: string[] = []): Promise<RtpengineServer> {
    const s = new RtpengineServer(await RtpengineServer.spawn(bin, extraArgs), bin, extraArgs);
    await s.answering(10_000);
    return s;
  }

  private static spawn(bin: string, extraArgs: string[]): Promise<ChildProcess> {
    mkdirSync(join(RUN_DIR, 'logs'), { recursive: true });
    const fd = openSync(join(RUN_DIR, 'logs', 'rtpengine.log'), 'a');
    const b = RTPENGINE_BED;
    const proc = spawn(bin, [
      '--config-file=none', '--foreground', '--log-stderr', '--table=-1',
      `--interface=${b.host}`, '--interface=::1', `--listen-ng=${b.host}:${b.ngPort}`,
      `--port-min=${b.portMin}`, `--port-max=${b.portMax}`, '--delete-delay=0', '--log-level=6', ...extraArgs,
    ], { stdio: ['ignore', fd, fd] });
    return new Promise((resolve, reject) => {
      proc.once('error', reject);
      proc.once('spawn', () => resolve(proc));
    });
  }

  /** resolves once an ng ping is answered (by this process: it exits at once if the port is taken) */
  private async answering(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.proc.exitCode !== null) throw new Error(`rtpengine exited (${this.proc.exitCode}) at start: is ng port ${RTPENGINE_BED.ngPort} taken? see .test-run/logs/rtpengine.log`);
      try {
        await this.ng.request('ping');
        return;
      } catch {
        if (Date.now() > deadline) throw new Error('rtpengine does not answer ng pings');
      }
    }
  }

  /** the calls rtpengine holds (ng `list`) */
  async sessions(): Promise<string[]> {
    const r = await this.ng.request('list', { limit: 1000 });
    return Array.isArray(r.calls) ? r.calls.map(String) : [];
  }

  /** stop it hard, as a crash would */
  async kill(): Promise<void> {
    await killNow(this.proc);
  }

  async restart(): Promise<void> {
    await this.kill();
    this.proc = await RtpengineServer.spawn(this.bin, this.extraArgs);
    await this.answering(10_000);
  }

  async stop(): Promise<void> {
    await this.kill();
    this.ng.close();
  }
}
