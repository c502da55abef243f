/**
 * Graph API access for the `meta` commands: where to send (WA_GRAPH_URL / --graph-url,
 * WA_GRAPH_VERSION / --graph-version), the token (WA_GRAPH_TOKEN, never printed), and one
 * request helper that returns Meta's status and body text untouched.
 */
import type { ParsedArgs } from './args';
import { UsageError } from './output';

export type Env = Readonly<Record<string, string | undefined>>;

export const DEFAULT_GRAPH_URL = 'https://graph.facebook.com';
export const DEFAULT_GRAPH_VERSION = 'v21.0';
const TIMEOUT_MS = 30_000;

export interface GraphTarget {
  baseUrl: string;
  version: string;
  token: string;
}

export interface GraphAnswer {
  status: number;
  ok: boolean;
  body: string;
}

export function graphTarget(args: ParsedArgs, env: Env): GraphTarget {
  const token = env.WA_GRAPH_TOKEN ?? '';
  if (!token.trim()) {
    throw new UsageError('WA_GRAPH_TOKEN is not set: export a system-user access token with the whatsapp_business_management permission');
  }
  const baseUrl = (args.values.get('graph-url') || env.WA_GRAPH_URL || DEFAULT_GRAPH_URL).replace(/\/+$/, '');
  if (!/^https?:\/\/[^/\s]+/.test(baseUrl)) throw new UsageError(`graph URL must start with https:// (got ${baseUrl})`);
  const version = args.values.get('graph-version') || env.WA_GRAPH_VERSION || DEFAULT_GRAPH_VERSION;
  if (!/^v\d+\.\d+$/.test(version)) throw new UsageError(`graph version must look like v21.0 (got ${version})`);
  return { baseUrl, version, token: token.trim() };
}

/** the Graph object ID of a business phone number: digits only (it is not the phone number) */
export function phoneNumberId(args: ParsedArgs): string {
  const id = args.values.get('phone-number-id') ?? '';
  if (!/^\d+$/.test(id)) {
    throw new UsageError('--phone-number-id must be the numeric phone number ID from WhatsApp Manager (not the phone number itself)');
  }
  return id;
}

export function settingsUrl(t: GraphTarget, id: string, query = ''): string {
  return `${t.baseUrl}/${t.version}/${id}/settings${query}`;
}

/** one Graph call; network failures become an Error whose message names the URL, never the token */
export async function graphRequest(t: GraphTarget, method: 'GET' | 'POST', url: string, body?: unknown): Promise<GraphAnswer> {
  const headers: Record<string, string> = { Authorization: `Bearer ${t.token}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (err) {
    const cause = (err as { cause?: { message?: string } }).cause?.message;
    throw new Error(`cannot reach ${method} ${url}: ${cause ?? (err as Error).message}`);
  }
  return { status: res.status, ok: res.ok, body: await res.text() };
}

/** Meta's answer as pretty JSON (or as received if it is not JSON), with any sip_user_password masked */
export function showJson(body: string): string {
  try {
    const parsed: unknown = JSON.parse(body);
    return JSON.stringify(parsed, (k, v: unknown) => (k === 'sip_user_password' ? '(hidden)' : v), 2);
  } catch {
    return body.replace(/("sip_user_password"\s*:\s*)"(?:[^"\\]|\\.)*"/g, '$1"(hidden)"');
  }
}
