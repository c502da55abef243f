/**
 * The DTLS half of Meta's media edge: a DTLS 1.2 *server* (it never sends the first
 * flight; RFC 5763 `setup:passive`) that demands the client's certificate, checks it
 * against the `a=fingerprint` of the other side's SDP before going on (a mismatch sends
 * a fatal bad_certificate alert and ends the handshake), and, once connected, derives
 * the SRTP master keys with the DTLS-SRTP exporter (RFC 5764 §4.2).
 *
 * Built on werift-dtls (pure TypeScript, MIT): of the npm WebRTC stacks it is the one
 * whose DTLS layer can be used alone, without its ICE or peer connection, so our own
 * ICE-lite responder can sit beside it on one socket. The tests drive it with a client
 * on libwebrtc/BoringSSL (@roamhq/wrtc), and the gateway side uses rtpengine (OpenSSL).
 *
 * werift-dtls 0.5.8 does not verify the client's CertificateVerify signature (that the
 * client holds the key of the certificate it presents): the peer does that itself too
 * (dtls-certificate-verify.ts), over werift's handshake transcript.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { CipherContext, DtlsServer } from 'werift-dtls/lib/dtls/src'; // the package's "main" (lib/index.js) is not in the tarball
import { ProtectionProfileAeadAes128Gcm, ProtectionProfileAes128CmHmacSha1_80, SrtpSession } from 'werift-rtp';
import { certificateVerifyError } from './dtls-certificate-verify';

type Address = readonly [string, number];

export type SrtpProfileName = 'SRTP_AES128_CM_HMAC_SHA1_80' | 'SRTP_AEAD_AES_128_GCM';
const PROFILE_IDS: Record<SrtpProfileName, 1 | 7> = {
  SRTP_AES128_CM_HMAC_SHA1_80: ProtectionProfileAes128CmHmacSha1_80,
  SRTP_AEAD_AES_128_GCM: ProtectionProfileAeadAes128Gcm,
};
/** master key and salt lengths per profile (RFC 5764 §4.1.2, RFC 7714 §12) */
const KEY_SALT: Record<1 | 7, [number, number]> = { 1: [16, 14], 7: [16, 12] };

export interface DtlsIdentity {
  certPem: string;
  keyPem: string;
  /** `sha-256 AB:CD:...` as it goes after `a=fingerprint:` */
  fingerprint: string;
}

/** a fresh self-signed ECDSA P-256 certificate, as WebRTC endpoints use */
export async function newDtlsIdentity(): Promise<DtlsIdentity> {
  const { certPem, keyPem } = await CipherContext.createSelfSignedCertificateWithKey({ hash: 4, signature: 3 }, 23);
  return { certPem, keyPem, fingerprint: `sha-256 ${new X509Certificate(certPem).fingerprint256}` };
}

/** `sha-256 AB:...` of a DER certificate, with `hash` as SDP names it (sha-1, sha-256, ...) */
export function certificateFingerprint(der: Buffer, hash: string): string {
  const algo = hash.toLowerCase().replace('-', '');
  const hex = createHash(algo).update(der).digest('hex').toUpperCase();
  return `${hash.toLowerCase()} ${hex.match(/../g)!.join(':')}`;
}

const sameFingerprint = (a: string, b: string) => a.trim().toLowerCase().replace(/\s+/g, ' ') === b.trim().toLowerCase().replace(/\s+/g, ' ');

export interface DtlsServerOptions {
  identity: DtlsIdentity;
  /** offered SRTP profiles, in our order of preference (default: AES128_CM_HMAC_SHA1_80 only) */
  profiles?: SrtpProfileName[];
  /** writes a DTLS datagram to the client's address */
  send: (msg: Buffer, to: Address) => void;
}

const HANDSHAKE_CERTIFICATE = 11;
const HANDSHAKE_CERTIFICATE_VERIFY = 15;
const HANDSHAKE_FINISHED = 20;
const ALERT_DECRYPT_ERROR = 51;
const ALERT_BAD_CERTIFICATE = 42;

export class DtlsSrtpServer {
  /** Date.now() when the handshake completed */
  connectedAt: number | null = null;
  /** why the handshake failed (e.g. the client's certificate does not match its fingerprint) */
  failure: string | null = null;
  /** the fingerprint of the certificate the client presented */
  clientFingerprint: string | null = null;
  profile: SrtpProfileName | null = null;
  onConnected: ((srtp: SrtpSession) => void) | null = null;
  onFailed: ((why: string) => void) | null = null;

  private readonly server: DtlsServer;
  private expected: string | null = null;
  private clientCertificate: Buffer | null = null;
  /** true when the client's certificate arrived before its SDP's a=fingerprint (it was held) */
  certificateBeforeSdp = false;
  /**
   * The client's datagrams from the one with its certificate on, held until its fingerprint
   * is known (the SDP can come later: rtpengine starts DTLS before the answer reaches the
   * peer). Whole datagrams wait, in order: holding only the handshake messages would let
   * werift's record layer see the ChangeCipherSpec and the encrypted Finished before the
   * key exchange, and drop them (the handshake then waits for the client's retransmission).
   */
  private held: { msg: Buffer; from: Address }[] | null = null;
  private clientAddress: Address | null = null;
  private onData: (data: Buffer, addr: Address) => void = () => undefined;
  private closed = false;

  constructor(private readonly opts: DtlsServerOptions) {
    const profiles = (opts.profiles ?? ['SRTP_AES128_CM_HMAC_SHA1_80']).map((p) => PROFILE_IDS[p]);
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this; // werift-dtls sets its receive handler as `transport.onData`
    const transport = {
      type: 'udp',
      address: { address: '0.0.0.0', family: 'IPv4', port: 0 },
      closed: false,
      send: async (data: Buffer, addr?: Address) => {
        const to = addr ?? this.clientAddress;
        if (to && !this.closed) opts.send(data, to);
      },
      close: async () => undefined,
      get onData() {
        return self.onData;
      },
      set onData(fn: (data: Buffer, addr: Address) => void) {
        self.onData = fn;
      },
    };
    this.server = new DtlsServer({
      transport,
      cert: opts.identity.certPem,
      key: opts.identity.keyPem,
      signatureHash: { hash: 4, signature: 3 },
      certificateRequest: true,
      srtpProfiles: profiles,
    });
    const handle = this.server.onHandleHandshakes;
    this.server.onHandleHandshakes = async (assembled) => {
      if (this.failure) return;
      const cert = assembled.find((h) => h.msg_type === HANDSHAKE_CERTIFICATE);
      if (cert && !this.acceptCertificate(cert.fragment)) return;
      const cv = assembled.find((h) => h.msg_type === HANDSHAKE_CERTIFICATE_VERIFY);
      if (cv && !this.acceptCertificateVerify(cv.fragment)) return;
      await handle(assembled);
    };
    this.server.onConnect.subscribe(() => this.connected());
    this.server.onError.subscribe((e) => this.fail(`DTLS error: ${String(e)}`));
  }

  /**
   * The `a=fingerprint` value of the other side's SDP. A certificate that arrives before it
   * is held (not refused): the test may read the SDP a moment after the far side starts.
   */
  expectFingerprint(fingerprint: string): void {
    this.expected = fingerprint;
    const held = this.held ?? [];
    this.held = null;
    for (const h of held) this.handle(h.msg, h.from);
  }

  /** one DTLS record datagram from the client (RFC 7983: first byte 20..63) */
  handle(msg: Buffer, from: Address): void {
    if (this.closed || this.failure) return;
    if (this.held || (!this.expected && carriesCertificate(msg))) {
      this.certificateBeforeSdp = true;
      (this.held ??= []).push({ msg, from });
      return;
    }
    this.clientAddress = from;
    this.onData(msg, from);
  }

  close(): void {
    this.closed = true;
  }

  private acceptCertificate(fragment: Buffer): boolean {
    // Certificate: certificate_list<0..2^24-1> of ASN.1Cert<1..2^24-1>; the first is the client's own
    const len = fragment.length >= 6 ? fragment.readUIntBE(3, 3) : 0;
    const der = fragment.subarray(6, 6 + len);
    if (len === 0 || der.length !== len) return this.reject('the client sent no certificate');
    const expected = this.expected ?? '';
    const hash = expected.trim().split(/\s+/)[0]!;
    try {
      this.clientFingerprint = certificateFingerprint(der, hash);
    } catch {
      return this.reject(`unsupported fingerprint hash ${hash}`);
    }
    if (!sameFingerprint(this.clientFingerprint, expected)) {
      return this.reject(`certificate fingerprint ${this.clientFingerprint} does not match a=fingerprint:${expected}`);
    }
    this.clientCertificate = Buffer.from(der);
    return true;
  }

  /** the signature over every handshake message before it, with the client certificate's key */
  private acceptCertificateVerify(fragment: Buffer): boolean {
    if (!this.clientCertificate) return this.reject('CertificateVerify before any accepted certificate');
    const transcript = Buffer.concat(
      this.server.dtls.sortedHandshakeCache
        .filter((h) => h.msg_type !== HANDSHAKE_CERTIFICATE_VERIFY && h.msg_type !== HANDSHAKE_FINISHED)
        .map((h) => h.serialize()),
    );
    const error = certificateVerifyError(fragment, transcript, this.clientCertificate);
    return error ? this.reject(error, ALERT_DECRYPT_ERROR) : true;
  }

  private reject(why: string, alert = ALERT_BAD_CERTIFICATE): false {
    this.sendAlert(alert);
    this.fail(why);
    return false;
  }

  /** a fatal alert in epoch 0 (the handshake has not switched ciphers yet) */
  private sendAlert(description: number): void {
    const seq = ++this.server.dtls.recordSequenceNumber;
    const rec = Buffer.alloc(13 + 2);
    rec[0] = 21; // alert
    rec.writeUInt16BE(0xfefd, 1); // DTLS 1.2
    rec.writeUInt16BE(0, 3); // epoch
    rec.writeUIntBE(seq, 5, 6);
    rec.writeUInt16BE(2, 11);
    rec[13] = 2; // fatal
    rec[14] = description;
    if (this.clientAddress && !this.closed) this.opts.send(rec, this.clientAddress);
  }

  private connected(): void {
    if (this.failure || this.connectedAt !== null) return;
    const id = this.server.srtp.srtpProfile as 1 | 7 | undefined;
    if (id === undefined) return this.fail('no SRTP profile negotiated (use_srtp missing or no common profile)');
    const [keyLen, saltLen] = KEY_SALT[id];
    const k = this.server.extractSessionKeys(keyLen, saltLen) as Record<'localKey' | 'localSalt' | 'remoteKey' | 'remoteSalt', Buffer>;
    this.profile = (Object.keys(PROFILE_IDS) as SrtpProfileName[]).find((n) => PROFILE_IDS[n] === id)!;
    this.connectedAt = Date.now();
    const srtp = new SrtpSession({
      keys: { localMasterKey: k.localKey, localMasterSalt: k.localSalt, remoteMasterKey: k.remoteKey, remoteMasterSalt: k.remoteSalt },
      profile: id,
    });
    this.onConnected?.(srtp);
  }

  private fail(why: string): void {
    if (this.failure) return;
    this.failure = why;
    this.onFailed?.(why);
  }
}

/** whether a datagram holds (the first fragment of) a Certificate handshake message in epoch 0 */
function carriesCertificate(datagram: Buffer): boolean {
  // record: type(1) version(2) epoch(2) sequence(6) length(2); handshake: msg_type(1) ...
  for (let at = 0; at + 13 <= datagram.length; ) {
    const length = datagram.readUInt16BE(at + 11);
    if (datagram[at] === 22 && datagram.readUInt16BE(at + 3) === 0 && datagram[at + 13] === HANDSHAKE_CERTIFICATE) return true;
    at += 13 + length;
  }
  return false;
}
