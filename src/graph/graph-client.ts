/**
 * The one Graph API client, shared by the operator CLI (`meta ...`) and the gateway's call
 * permission check: where to send (base URL and version), the token (sent as a bearer
 * header, never in a URL, a log line or an error), and one request that returns Meta's status
 * and body text untouched.
 */

export const DEFAULT_GRAPH_URL = 'https://graph.facebook.com';
export const DEFAULT_GRAPH_VERSION = 'v21.0';

export interface GraphTarget {
  /** e.g. https://graph.facebook.com, without a trailing slash */
  baseUrl: string;
  /** e.g. v21.0 */
  version: string;
  token: string;
}

export interface GraphAnswer {
  status: number;
  ok: boolean;
  body: string;
}

/** what a Graph URL and version must look like (the CLI and the config loader both check them) */
export const GRAPH_URL_PATTERN = /^https?:\/\/[^/\s]+/;
export const GRAPH_VERSION_PATTERN = /^v\d+\.\d+$/;

/** `<base>/<version>/<path>`; `path` without a leading slash, already URL-safe */
export function graphUrl(t: Pick<GraphTarget, 'baseUrl' | 'version'>, path: string): string {
  return `${t.baseUrl}/${t.version}/${path}`;
}

export interface GraphRequestOptions {
  /** give up after this long (the request is aborted); default 30 s */
  timeoutMs?: number;
}

/** raised when there is no answer at all (unreachable, timeout): names the URL, never the token */
export class GraphUnreachable extends Error {
  override name = 'GraphUnreachable';
  constructor(message: string, readonly timedOut: boolean) {
    super(message);
  }
}

/** one Graph call; any HTTP answer is returned as it came, no answer is a GraphUnreachable */
export async function graphRequest(t: GraphTarget, method: 'GET' | 'POST', url: string, body?: unknown, o: GraphRequestOptions = {}): Promise<GraphAnswer> {
  const headers: Record<string, string> = { Authorization: `Bearer ${t.token}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const timeoutMs = o.timeoutMs ?? 30_000;
  try {
    const res = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    return { status: res.status, ok: res.ok, body: await res.text() };
  } catch (err) {
    const e = err as { name?: string; message?: string; cause?: { message?: string } };
    const timedOut = e.name === 'TimeoutError';
    const why = timedOut ? `no answer within ${timeoutMs} ms` : (e.cause?.message ?? e.message ?? String(err));
    throw new GraphUnreachable(`cannot reach ${method} ${url}: ${why}`, timedOut);
  }
}
