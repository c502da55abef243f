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
