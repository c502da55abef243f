import type Srf from 'drachtio-srf';

/**
 * The parts of drachtio-srf the call layer uses, typed as the library really behaves
 * (its bundled typings give `cbRequest` one argument; it is called with `(err, req)`).
 * They are our own narrow interfaces (STYLE habit 11): drachtio-srf's objects satisfy them,
 * and so do the typed fakes of the call-flow tests (test/support/fakes).
 */
export interface SendOptions {
  headers?: Record<string, string>;
  body?: string;
}

/** a request: one that reached us, or one we sent (the INVITE we may CANCEL) */
export interface SrfRequest {
  readonly method: string;
  readonly uri: string;
  readonly body: string;
  readonly protocol: string;
  readonly source_address: string;
  readonly source_port: string | number;
  readonly headers: Record<string, string>;
  get(name: string): string;
  has(name: string): boolean;
  /** the CANCEL of an INVITE that reached us */
  on(event: 'cancel', cb: (cancel: unknown) => void): void;
  /** CANCEL an INVITE we sent */
  cancel(cb: (err: unknown, cancel: unknown) => void): void;
}

export interface SrfResponse {
  readonly status: number;
  readonly reason: string;
  readonly body: string;
  readonly source_address: string;
  readonly source_port: string | number;
  finalResponseSent: boolean;
  get(name: string): string;
  has(name: string): boolean;
  send(status: number, opts?: SendOptions): void;
  send(status: number, reason: string, opts?: SendOptions): void;
}

type RequestHandler = (req: SrfRequest, res: SrfResponse) => void;

export interface SrfDialog {
  readonly sip: { callId: string; localTag: string; remoteTag: string };
  readonly local: { sdp: string };
  readonly remote: { sdp: string };
  on(event: 'destroy', cb: (bye: SrfRequest) => void): this;
  on(event: 'ack', cb: (ack: SrfRequest) => void): this;
  on(event: 'modify' | 'update' | 'info' | 'refer' | 'notify', cb: RequestHandler): this;
  once(event: 'ack', cb: (ack: SrfRequest) => void): this;
  destroy(opts: { headers: Record<string, string> } | undefined, cb: (err: unknown) => void): void;
  /** re-INVITE with `sdp`; resolves with the far end's answer */
  modify(sdp: string): Promise<string>;
  /** an in-dialog request (NOTIFY, INFO, ...) */
  request(opts: { method: string; headers?: Record<string, string>; body?: string }): Promise<SrfResponse>;
}

/** drachtio-srf's own types, for the edges that hand its objects to ours */
export type NativeRequest = Srf.SrfRequest;

export interface UacCallbacks {
  cbRequest?: (err: Error | null, req: SrfRequest) => void;
  cbProvisional?: (res: SrfResponse) => void;
}

export interface UacOptions {
  headers?: Record<string, string>;
  localSdp?: string;
  proxy?: string;
  /** credentials for the far side's 401/407, or a function that gives them (or refuses, with an error) */
  auth?: { username: string; password: string } | AuthProvider;
}

/** drachtio-srf asks this for credentials when challenged; an error leaves the challenge unanswered */
export type AuthProvider = (req: unknown, res: unknown, cb: (err: Error | null, username?: string, password?: string) => void) => void;

export interface SipSignaling {
  createUAC(uri: string, opts: UacOptions, callbacks?: UacCallbacks): Promise<SrfDialog>;
  createUAS(req: SrfRequest, res: SrfResponse, opts: { localSdp: string; headers?: Record<string, string> }): Promise<SrfDialog>;
}

/** drachtio-srf's SipError: a non-2xx final response to a request we sent */
export interface SipErrorLike extends Error {
  status: number;
  reason?: string;
  res?: SrfResponse;
}

export function isSipError(err: unknown): err is SipErrorLike {
  return err instanceof Error && err.name === 'SipError' && typeof (err as SipErrorLike).status === 'number';
}

export function asSignaling(srf: Srf): SipSignaling {
  return srf as unknown as SipSignaling;
}

/**
 * false once the dialog has ended. drachtio-srf ends a dialog as it processes the far end's BYE;
 * when that BYE arrives in the same read as drachtio-server's answer to our 200 OK (or the
 * far end's 200 OK), it happens before the dialog reaches us and its 'destroy' has no listener.
 */
export function isDialogUp(dialog: object): boolean {
  return (dialog as unknown as { connected: boolean }).connected;
}

/** BYE without waiting: drachtio-srf rejects (and, unawaited, crashes Node) if the dialog is already gone */
export function hangUpQuietly(dialog: { destroy(opts: undefined, cb: (err: unknown) => void): void }): void {
  dialog.destroy(undefined, () => undefined);
}
