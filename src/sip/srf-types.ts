import type Srf from 'drachtio-srf';

/**
 * The parts of drachtio-srf the call layer uses, typed as the library really behaves
 * (its bundled typings give `cbRequest` one argument; it is called with `(err, req)`).
 */
export type SrfRequest = Srf.SrfRequest;
export type SrfResponse = Srf.SrfResponse;
export type SrfDialog = Srf.Dialog;

export interface UacCallbacks {
  cbRequest?: (err: Error | null, req: SrfRequest) => void;
  cbProvisional?: (res: SrfResponse) => void;
}

export interface UacOptions {
  headers?: Record<string, string>;
  localSdp?: string;
  proxy?: string;
  auth?: { username: string; password: string };
}

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
export function isDialogUp(dialog: SrfDialog): boolean {
  return (dialog as unknown as { connected: boolean }).connected;
}

/** BYE without waiting: drachtio-srf rejects (and, unawaited, crashes Node) if the dialog is already gone */
export function hangUpQuietly(dialog: SrfDialog): void {
  dialog.destroy(undefined, () => undefined);
}
