/**
 * The check werift-dtls leaves out: that the DTLS client holds the private key of the
 * certificate it presented. Its CertificateVerify (RFC 5246 §7.4.8, DTLS as RFC 6347
 * §4.2.6) signs every handshake message before it, each with its DTLS handshake header
 * as if unfragmented, in order, the cookieless ClientHello and HelloVerifyRequest left out.
 */
import { verify, X509Certificate } from 'node:crypto';

const HASHES: Record<number, string> = { 2: 'sha1', 4: 'sha256', 5: 'sha384', 6: 'sha512' };
const SIGNATURES = new Set([1, 3]); // rsa (PKCS #1 v1.5), ecdsa

/**
 * null when the signature in `fragment` (a CertificateVerify body: hash, signature
 * algorithm, <signature>) verifies over `transcript` with the key of `certDer`; else why not
 */
export function certificateVerifyError(fragment: Buffer, transcript: Buffer, certDer: Buffer): string | null {
  if (fragment.length < 4) return 'CertificateVerify too short';
  const hash = HASHES[fragment[0]!];
  if (!hash || !SIGNATURES.has(fragment[1]!)) return `CertificateVerify with unsupported algorithm ${fragment[0]}/${fragment[1]}`;
  const len = fragment.readUInt16BE(2);
  const signature = fragment.subarray(4, 4 + len);
  if (signature.length !== len) return 'CertificateVerify signature truncated';
  try {
    const key = new X509Certificate(certDer).publicKey;
    return verify(hash, transcript, key, signature) ? null : "CertificateVerify does not verify with the certificate's key";
  } catch (e) {
    return `CertificateVerify not checkable: ${String(e)}`;
  }
}
