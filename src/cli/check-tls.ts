/**
 * `check-tls <host> <port> [--servername NAME] [--ca FILE]`: the checks Meta makes of our
 * TLS listener (SPEC M1) — handshake, chain, name, and no client-certificate request —
 * one OK/FAIL line each and a verdict; exit 0 only if all pass.
 */
import { isIP } from 'node:net';
import { parseArgs } from './args';
import { readOptionFile } from './option-file';
import { EXIT_FAIL, EXIT_OK, type Io, UsageError } from './output';
import { detectClientCertRequest } from './tls-client-cert';
import { type ProbeResult, probeTls } from './tls-probe';

const SPEC = { values: ['servername', 'ca', 'timeout'] } as const;

interface Check {
  ok: boolean;
  text: string;
}

function report(io: Io, checks: Check[]): number {
  for (const c of checks) io.out(`${c.ok ? 'OK  ' : 'FAIL'}  ${c.text}`);
  const ok = checks.every((c) => c.ok);
  io.out(ok ? 'verdict: OK - Meta can connect to this TLS server' : 'verdict: FAIL - Meta would not accept this TLS server');
  return ok ? EXIT_OK : EXIT_FAIL;
}

function printChain(io: Io, r: ProbeResult): void {
  io.out(`certificate chain (${r.chain.length}):`);
  r.chain.forEach((c, i) => {
    io.out(`  [${i}] subject CN=${c.subject}; SANs: ${c.sans || '(none)'}; issuer CN=${c.issuer}; valid to ${c.validTo}`);
  });
}

export async function checkTls(argv: readonly string[], io: Io): Promise<number> {
  const args = parseArgs(argv, SPEC);
  const [host, portText, extra] = args.positionals;
  if (!host || !portText || extra !== undefined) throw new UsageError('usage: check-tls <host> <port> [--servername NAME] [--ca FILE]');
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 1 || port > 65535) throw new UsageError(`port must be 1..65535 (got ${portText})`);
  const servername = args.values.get('servername') || host;
  const timeoutMs = Number(args.values.get('timeout') ?? '10') * 1000;
  if (!(timeoutMs > 0)) throw new UsageError('--timeout must be a number of seconds');
  const caFile = args.values.get('ca');
  const ca = caFile ? readOptionFile(caFile, '--ca') : undefined;

  io.out(`checking TLS on ${host}:${port} for the name ${servername}`);
  let probe: ProbeResult;
  try {
    probe = await probeTls({ host, port, servername, ca, timeoutMs });
  } catch (err) {
    return report(io, [{ ok: false, text: `TLS handshake with ${host}:${port}: ${(err as Error).message}` }]);
  }
  printChain(io, probe);
  const trustedBy = caFile ? `the CA file ${caFile}` : 'the system CAs';
  const clientCert = await detectClientCertRequest(host, port, isIP(servername) ? undefined : servername, timeoutMs);
  return report(io, [
    { ok: true, text: `TLS handshake: ${probe.protocol} ${probe.cipher}` },
    {
      ok: probe.verifyError === null,
      text: probe.verifyError === null ? `chain verifies against ${trustedBy}` : `chain does not verify against ${trustedBy}: ${probe.verifyError}`,
    },
    {
      ok: probe.nameError === null,
      text: probe.nameError === null ? `certificate name matches ${servername}` : `certificate name does not match ${servername}: ${probe.nameError}`,
    },
    {
      ok: clientCert.requested === false,
      text: clientCert.requested === false
        ? 'no client certificate requested (Meta does not do mutual TLS)'
        : clientCert.requested
          ? `server requests a client certificate (${clientCert.detail}); Meta does not do mutual TLS, turn client-certificate requests off`
          : `could not tell whether the server requests a client certificate: ${clientCert.detail}`,
    },
  ]);
}
