import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { TestCallReport } from '../../src/testcall/report';
import { ROOT, TEST_BED } from '../support/servers';
import { BUSINESS_PASSWORD, testBed } from './harness';

/** `wa-sip-gateway test-call` as its own process (the real entry), for the test-call integration tests */

export interface Run { code: number | null; report: TestCallReport; stderr: string }

/** into the gateway's TLS port from the test bed's Meta address, trusting the test CA */
export function testCall(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const tb = testBed!;
  return runCommand([
    '--gateway', `${TEST_BED.drachtio.sipHost}:${TEST_BED.drachtio.tlsPort}`, '--servername', TEST_BED.gatewayHostname,
    '--ca', join(tb.certs.dir, 'ca.crt'), '--local-address', TEST_BED.meta.host, ...args,
  ], env);
}

/** test-call with --json; `onStderr` sees its progress lines */
export function runCommand(args: string[], env: Record<string, string> = {}, onStderr?: (text: string) => void): Promise<Run> {
  const argv = ['--require', 'tsx/cjs', join(ROOT, 'src/cli.ts'), 'test-call', '--password-env', 'WA_TEST_PASSWORD', '--json', ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, { cwd: ROOT, env: { PATH: process.env.PATH ?? '', WA_TEST_PASSWORD: BUSINESS_PASSWORD, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => void (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      onStderr?.(stderr);
    });
    child.once('error', reject);
    child.once('close', (code) => {
      try {
        resolve({ code, report: JSON.parse(stdout) as TestCallReport, stderr });
      } catch {
        reject(new Error(`test-call printed no JSON report (exit ${code}):\n${stdout}\n${stderr}`));
      }
    });
  });
}

/** `test-call --outbound` listening as wa.meta.vc at the test bed's Meta address; resolves once it listens */
export async function outboundCommand(args: string[], env: Record<string, string> = {}): Promise<{ done: Promise<Run> }> {
  const tb = testBed!;
  let listening: () => void = () => undefined;
  const ready = new Promise<void>((r) => { listening = r; });
  const done = runCommand(['--outbound', '--listen', `${TEST_BED.meta.host}:${TEST_BED.meta.listenPort}`, '--cert', join(tb.certs.dir, 'meta.crt'),
    '--key', join(tb.certs.dir, 'meta.key'), ...args], env, (err) => { if (err.includes('listening on')) listening(); });
  await Promise.race([ready, done]);
  return { done };
}
