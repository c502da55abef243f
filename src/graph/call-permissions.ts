/**
 * Meta's call permission API (Graph API, SPEC M13; meta-docs/api-and-webhook-reference.txt
 * "Get current call permission state", calling-obtain-user-call-permissions.md):
 *   GET  /<PHONE_NUMBER_ID>/call_permissions?user_wa_id=<user>  the state, and per action
 *        (start_call, send_call_permission_request) whether it can be done now and its limits
 *   POST /<PHONE_NUMBER_ID>/messages  the free-form interactive call permission request
 * What Meta answers is parsed here into plain values; deciding what to do is elsewhere.
 */
import { graphRequest, graphUrl, type GraphAnswer, type GraphTarget } from './graph-client';

export interface ActionLimit {
  /** ISO 8601 duration, e.g. PT24H, P7D */
  period: string;
  max: number;
  used: number;
  /** Unix seconds at which the limit lifts; Meta sends it only once the limit is reached */
  liftsAt: number | null;
}

export interface PermissionAction {
  canPerform: boolean;
  limits: ActionLimit[];
}

export interface PermissionState {
  /** no_permission, temporary, permanent (as Meta names it) */
  status: string;
  /** Unix seconds at which a temporary permission expires */
  expiresAt: number | null;
  /** by action name: start_call, send_call_permission_request */
  actions: Record<string, PermissionAction>;
}

/** the body of the call permission request message unless the YAML (or --text) says otherwise */
export const DEFAULT_REQUEST_TEXT = 'We would like to call you on WhatsApp. May we?';

export const START_CALL = 'start_call';
export const SEND_REQUEST = 'send_call_permission_request';

/** the WhatsApp user as a wa_id: digits only (a '+' in a query string would arrive as a space) */
export function waId(e164: string): string {
  return e164.replace(/^\+/, '');
}

export function permissionsUrl(t: Pick<GraphTarget, 'baseUrl' | 'version'>, phoneNumberId: string, user: string): string {
  return graphUrl(t, `${encodeURIComponent(phoneNumberId)}/call_permissions?user_wa_id=${encodeURIComponent(waId(user))}`);
}

export function messagesUrl(t: Pick<GraphTarget, 'baseUrl' | 'version'>, phoneNumberId: string): string {
  return graphUrl(t, `${encodeURIComponent(phoneNumberId)}/messages`);
}

/** the free-form interactive call permission request; only its body text can be chosen */
export function permissionRequestBody(user: string, text: string): unknown {
  return {
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    to: user,
    type: 'interactive',
    interactive: {
      type: 'call_permission_request',
      action: { name: 'call_permission_request' },
      ...(text ? { body: { text } } : {}),
    },
  };
}

function num(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v);
  return null;
}

function parseLimit(raw: unknown): ActionLimit | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const l = raw as Record<string, unknown>;
  const max = num(l.max_allowed);
  const used = num(l.current_usage);
  if (max === null || used === null) return null;
  return { period: typeof l.time_period === 'string' ? l.time_period : '?', max, used, liftsAt: num(l.limit_expiration_time) };
}

/** Meta's answer to GET call_permissions, or a string saying what is wrong with it */
export function parsePermissionState(body: string): PermissionState | string {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    return 'not JSON';
  }
  const d = (typeof doc === 'object' && doc !== null ? doc : {}) as { permission?: unknown; actions?: unknown };
  const p = (typeof d.permission === 'object' && d.permission !== null ? d.permission : null) as Record<string, unknown> | null;
  if (!p || typeof p.status !== 'string') return 'no permission.status';
  if (!Array.isArray(d.actions)) return 'no actions';
  const actions: Record<string, PermissionAction> = {};
  for (const raw of d.actions as unknown[]) {
    const a = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
    if (typeof a.action_name !== 'string' || typeof a.can_perform_action !== 'boolean') return 'an action without action_name or can_perform_action';
    const limits = Array.isArray(a.limits) ? a.limits.map(parseLimit).filter((l): l is ActionLimit => l !== null) : [];
    actions[a.action_name] = { canPerform: a.can_perform_action, limits };
  }
  // the reference's sample says expiration_time, its parameter table says expiration
  return { status: p.status, expiresAt: num(p.expiration_time) ?? num(p.expiration), actions };
}

export function fetchPermissionState(t: GraphTarget, phoneNumberId: string, user: string, timeoutMs: number): Promise<GraphAnswer> {
  return graphRequest(t, 'GET', permissionsUrl(t, phoneNumberId, user), undefined, { timeoutMs });
}

export function sendPermissionRequest(t: GraphTarget, phoneNumberId: string, user: string, text: string, timeoutMs: number): Promise<GraphAnswer> {
  return graphRequest(t, 'POST', messagesUrl(t, phoneNumberId), permissionRequestBody(user, text), { timeoutMs });
}

/** the limits of an action that are used up */
export function exhausted(a: PermissionAction | undefined): ActionLimit[] {
  return (a?.limits ?? []).filter((l) => l.used >= l.max || l.liftsAt !== null);
}

/** Meta's error message from an error body ({"error":{"message":..,"code":..}}), for a log line */
export function graphError(body: string): string {
  try {
    const e = (JSON.parse(body) as { error?: { message?: unknown; code?: unknown } }).error;
    if (e && (typeof e.message === 'string' || typeof e.code === 'number')) return `${String(e.code ?? '?')} ${String(e.message ?? '')}`.trim();
  } catch { /* not JSON */ }
  return body.slice(0, 200);
}
