/**
 * The part of an incoming drachtio request the admission steps read. drachtio-srf's
 * SrfRequest satisfies it; unit tests build plain objects.
 */
export interface InviteView {
  readonly uri: string;
  readonly method: string;
  readonly protocol: string;
  readonly source_address: string;
  readonly callId: string;
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
  get(name: string): string | undefined;
}

/** the view of a drachtio request (drachtio-srf has no `callId` property: it is a header) */
export function inviteView(req: {
  uri: string; method: string; protocol: string; source_address: string; body: string;
  headers: Record<string, string>; get(name: string): string;
}): InviteView {
  return {
    uri: req.uri,
    method: req.method,
    protocol: req.protocol,
    source_address: req.source_address,
    callId: req.get('Call-ID'),
    body: req.body ?? '',
    headers: req.headers,
    get: (name) => (req.get(name) as string | undefined) ?? undefined,
  };
}
