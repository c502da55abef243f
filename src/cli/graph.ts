/**
 * Graph API access for the `meta` commands: where to send (WA_GRAPH_URL / --graph-url,
 * WA_GRAPH_VERSION / --graph-version), the token (WA_GRAPH_TOKEN, never printed). The
 * requests themselves go through the shared client (src/graph/graph-client.ts).
 */
import { DEFAULT_GRAPH_URL, DEFAULT_GRAPH_VERSION, GRAPH_URL_PATTERN, GRAPH_VERSION_PATTERN, graphRequest as request, graphUrl, type GraphAnswer, type GraphTarget } from '../graph/graph-client';
import type { ParsedArgs } from './args';
import { UsageError } from './output';

export { DEFAULT_GRAPH_URL, DEFAULT_GRAPH_VERSION, type GraphAnswer, type GraphTarget };

export type Env = Readonly<Record<string, string | undefined>>;

const TIMEOUT_MS = 30_000;

export function graphTarget(args: ParsedArgs, env: Env): GraphTarget {
  const token = env.WA_GRAPH_TOKEN ?? '';
  if (!token.trim()) {
    throw new UsageError('WA_GRAPH_TOKEN is not set: export a system-user access token with the whatsapp_business_management permission');
  }
  const baseUrl = (args.values.get('graph-url') || env.WA_GRAPH_URL || DEFAULT_GRAPH_URL).replace(/\/+$/, '');
  if (!GRAPH_URL_PATTERN.test(baseUrl)) throw new UsageError(`graph URL must start with https:// (got ${baseUrl})`);
  const version = args.values.get('graph-version') || env.WA_GRAPH_VERSION || DEFAULT_GRAPH_VERSION;
  if (!GRAPH_VERSION_PATTERN.test(version)) throw new UsageError(`graph version must look like v21.0 (got ${version})`);
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
  return graphUrl(t, `${id}/settings${query}`);
}

/** one Graph call for a command: the operator waits up to 30 s */
export function graphRequest(t: GraphTarget, method: 'GET' | 'POST', url: string, body?: unknown): Promise<GraphAnswer> {
  return request(t, method, url, body, { timeoutMs: TIMEOUT_MS });
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
