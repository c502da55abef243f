/**
 * Does the server REQUEST a client certificate? (Meta does not do mutual TLS, SPEC M1.)
 *
 * Node's TLS client has no API that tells whether a CertificateRequest arrived, and in
 * TLS 1.3 that message is encrypted, so it cannot be sniffed off the wire either. We run a
 * short child Node process that connects with `enableTrace: true`: OpenSSL then writes its
 * handshake trace (SSL_trace) to the child's stderr, where the server's flight appears as
 * lines like `    CertificateRequest, Length=41`, for TLS 1.2 and 1.3 alike (only servers
 * send that message, so the direction needs no parsing). A child is needed because the
 * trace goes to the C-level stderr of the process that makes the connection. The answer
 * is trusted only if the trace also shows the ServerHello (i.e. tracing worked).
 */
import { spawn } from 'node:child_process';

export interface ClientCertAnswer {
  /** true: requested; false: not requested; null: could not tell */
  requested: boolean | null;
  detail: string;
}

const CHILD = `
const tls = require('node:tls');
const o = JSON.parse(process.argv[1]);
const s = tls.connect({ host: o.host, port: o.port, servername: o.servername, rejectUnauthorized: false,
  checkServerIdentity: () => undefined, enableTrace: true }, () => { process.stdout.write('handshake ok\\n'); s.destroy(); });
s.setTimeout(o.timeoutMs, () => { process.stdout.write('timeout\\n'); s.destroy(); });
s.on('error', (e) => { process.stdout.write('error ' + e.message + '\\n'); });
`;

export function interpretTrace(trace: string): ClientCertAnswer {
  if (!/ServerHello, Length=/.test(trace)) return { requested: null, detail: 'no ServerHello in the handshake trace' };
  if (/^\s*CertificateRequest, Length=/m.test(trace)) return { requested: true, detail: 'the server sent a CertificateRequest' };
  return { requested: false, detail: 'no CertificateRequest in the server handshake' };
}

export function detectClientCertRequest(host: string, port: number, servername: string | undefined, timeoutMs: number): Promise<ClientCertAnswer> {
  return new Promise((resolve) => {
    const env = { ...process.env };
    delete env.NODE_OPTIONS;
    const child = spawn(process.execPath, ['-e', CHILD, JSON.stringify({ host, port, servername, timeoutMs })], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let trace = '';
    let status = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => void (trace += d));
    child.stdout.setEncoding('utf8').on('data', (d: string) => void (status += d));
    const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs + 5000);
    child.once('error', (err) => {
      clearTimeout(killer);
      resolve({ requested: null, detail: `cannot start ${process.execPath}: ${err.message}` });
    });
    child.once('close', () => {
      clearTimeout(killer);
      const answer = interpretTrace(trace);
      const how = status.trim().split('\n')[0] ?? '';
      resolve(answer.requested === null && how ? { requested: null, detail: `${answer.detail} (${how})` } : answer);
    });
  });
}
