import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { TestCallReport } from '../../src/testcall/report';
import { RtpPeer } from '../support/media/rtp-peer';
import { mediaTarget, pbxSdp } from '../support/sdp';
import { header, randomToken, type SipMessage } from '../support/sip/message';
import { SipPeer } from '../support/sip/peer';
import type { PbxPeer } from '../support/sip/pbx-peer';
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

/**
 * An agent on the PBX emulator dials 9 + a national number (the PBX's dialing rules: strip 9,
 * country 44) toward `test-call --outbound`; once answered, its phone echoes what it hears
 * over a 1000 Hz tone. The phone's RTP peer goes into `rtp` for the test to close.
 */
export async function agentDialsAndEchoes(pbx: PbxPeer, rtp: RtpPeer[]): Promise<RtpPeer> {
  const peer = await RtpPeer.open({ host: TEST_BED.pbx.host, codec: 'PCMU', payloadType: 0, dtmfPayloadType: 101 });
  rtp.push(peer);
  const invite = pbx.buildInvite('907700900123', pbxSdp({ ip: TEST_BED.pbx.host, port: peer.port }));
  pbx.send(invite);
  const ok = await pbx.waitResponse(header(invite, 'Call-ID')!, 101, (st) => st >= 200, 20_000);
  expect(ok.msg.status).toBe(200);
  pbx.ack2xx(SipPeer.uacDialog(invite, ok.msg), 101);
  const fs = mediaTarget(ok.msg.body);
  peer.setRemote(fs.ip, fs.port);
  peer.startEcho(1000);
  return peer;
}

/** the same agent call (9 + a national number), which the gateway or Meta refuses: its final response, ACKed */
export async function agentCallRefused(pbx: PbxPeer): Promise<SipMessage> {
  const invite = pbx.buildInvite('907700900123', pbxSdp({ ip: TEST_BED.pbx.host, port: 40000 }));
  pbx.send(invite);
  const final = await pbx.waitResponse(header(invite, 'Call-ID')!, 101, (st) => st >= 200, 20_000);
  pbx.ackNon2xx(invite, final.msg);
  return final.msg;
}

/** the PBX emulator answers the next INVITE after 300 ms of ringing and plays `play`; its RTP peer goes into `rtp` */
export async function pbxAnswersAfterRinging(pbx: PbxPeer, rtp: RtpPeer[], play: (peer: RtpPeer) => void): Promise<string> {
  const inv = await pbx.nextInvite(20_000);
  const peer = await RtpPeer.open({ host: TEST_BED.pbx.host, codec: 'PCMU', payloadType: 0, dtmfPayloadType: 101 });
  rtp.push(peer);
  const fs = mediaTarget(inv.msg.body);
  peer.setRemote(fs.ip, fs.port);
  const toTag = randomToken('p');
  pbx.ringAt(inv, toTag);
  await new Promise((r) => setTimeout(r, 300));
  pbx.answer(inv, pbxSdp({ ip: TEST_BED.pbx.host, port: peer.port }), toTag);
  play(peer);
  return header(inv.msg, 'Call-ID')!;
}
