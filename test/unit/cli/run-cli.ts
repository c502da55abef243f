/**
 * Test helpers for the operator CLI: spawn the real entry (node --require tsx/cjs src/cli.ts)
 * as an operator would, or call run() in-process with an Io that keeps the output.
 */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { run } from '../../../src/cli';
import { bufferIo } from '../../../src/cli/output';

export const REPO = resolve(__dirname, '../../..');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** the real entry in a child process; WA_GRAPH_* come only from `env` */
export function spawnCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('WA_GRAPH_')));
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--require', 'tsx/cjs', join(REPO, 'src/cli.ts'), ...args], {
      cwd: REPO,
      env: { ...base, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => void (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => void (stderr += d));
    child.once('error', fail);
    child.once('close', (code) => done({ code, stdout, stderr }));
  });
}

/** run() in this process */
export async function runCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const io = bufferIo();
  const code = await run(args, env, io);
  return { code, stdout: io.stdout.join(''), stderr: io.stderr.join('') };
}
