/**
 * One DTLS association per remote transport address, as a DTLS server socket keeps them.
 * A full ICE agent may run a handshake on each pair that passed a check (rtpengine does:
 * one per local socket, so one over IPv4 and one over IPv6); each gets its own server and
 * its own SRTP keys, and the media uses the keys of the nominated address (or of the
 * first association to complete, until something is nominated).
 *
 * The fields tests read (connectedAt, failure, clientFingerprint, profile) summarise them:
 * the first completion, the first failure.
 */
import type { SrtpSession } from 'werift-rtp';
import { DtlsSrtpServer, type DtlsIdentity, type SrtpProfileName } from './dtls-srtp-server';

type Address = readonly [string, number];
const key = (a: { address: string; port: number }) => `${a.address}|${a.port}`;

export interface DtlsAssociation {
  address: string;
  port: number;
  server: DtlsSrtpServer;
  srtp: SrtpSession | null;
}

export class DtlsAssociations {
  /** Date.now() when the first handshake completed */
  connectedAt: number | null = null;
  /** why the first failed handshake failed */
  failure: string | null = null;
  clientFingerprint: string | null = null;
  profile: SrtpProfileName | null = null;
  readonly all: DtlsAssociation[] = [];
  /** the keys the media should use now, whenever that changes */
  onKeys: ((srtp: SrtpSession) => void) | null = null;
  onConnected: (() => void) | null = null;
  onFailed: ((why: string) => void) | null = null;

  private readonly byAddress = new Map<string, DtlsAssociation>();
  private expected: string | null = null;
  private nominated: string | null = null;
  private inUse: DtlsAssociation | null = null;
  private closed = false;

  constructor(
    private readonly identity: DtlsIdentity,
    private readonly profiles: SrtpProfileName[] | undefined,
    private readonly send: (msg: Buffer, to: Address) => void,
  ) {}

  /** a client certificate came before the other side's SDP (held until it came) */
  get certificateBeforeSdp(): boolean {
    return this.all.some((a) => a.server.certificateBeforeSdp);
  }

  /** the other side's a=fingerprint, for every association, present and future */
  expectFingerprint(fingerprint: string): void {
    this.expected = fingerprint;
    for (const a of this.all) a.server.expectFingerprint(fingerprint);
  }

  /** one DTLS datagram from `from` */
  handle(msg: Buffer, from: { address: string; port: number }): void {
    if (this.closed) return;
    let a = this.byAddress.get(key(from));
    if (!a) a = this.create(from);
    a.server.handle(msg, [from.address, from.port]);
  }

  /** the ICE-nominated remote address: its keys, once it has them, are the ones in use */
  nominate(to: { address: string; port: number }): void {
    this.nominated = key(to);
    const a = this.byAddress.get(this.nominated);
    if (a?.srtp) this.use(a);
  }

  close(): void {
    this.closed = true;
    for (const a of this.all) a.server.close();
  }

  private create(from: { address: string; port: number }): DtlsAssociation {
    const server = new DtlsSrtpServer({ identity: this.identity, profiles: this.profiles, send: this.send });
    const a: DtlsAssociation = { address: from.address, port: from.port, server, srtp: null };
    this.byAddress.set(key(from), a);
    this.all.push(a);
    if (this.expected) server.expectFingerprint(this.expected);
    server.onConnected = (srtp) => {
      a.srtp = srtp;
      if (this.connectedAt === null) {
        this.connectedAt = server.connectedAt;
        this.clientFingerprint = server.clientFingerprint;
        this.profile = server.profile;
      }
      if (!this.inUse || key(a) === this.nominated) this.use(a);
      this.onConnected?.();
    };
    server.onFailed = (why) => {
      this.failure ??= why;
      this.clientFingerprint ??= server.clientFingerprint;
      this.onFailed?.(why);
    };
    return a;
  }

  private use(a: DtlsAssociation): void {
    if (this.inUse === a || !a.srtp) return;
    this.inUse = a;
    this.onKeys?.(a.srtp);
  }
}
