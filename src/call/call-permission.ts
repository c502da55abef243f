/**
 * The call permission step of an agent's call (issue 15; SPEC M7, M13, P3): before the INVITE
 * leaves for Meta, ask the Graph API whether the business number may call the WhatsApp user
 * (GET /<PHONE_NUMBER_ID>/call_permissions), so that a call Meta would refuse ends at once
 * with a plain-words 403 and costs nothing at Meta. Bounded so set-up never waits long:
 *   - answers are reused for `cache_seconds` per (number, user), never past a limit's lift
 *     time, and concurrent calls to the same user share one request;
 *   - at most 5 requests per second per business number (Meta's limit on this API); past it
 *     a call goes to Meta unchecked;
 *   - each request is given up after `timeout_ms`; the Graph API unreachable, slow, erroring
 *     or answering something we cannot read: the call goes to Meta as without the check
 *     (Meta decides), with a (rate-limited) log line and a metric.
 * With `request_permission`, a call refused for want of permission sends the user Meta's
 * call permission request message once (when Meta takes one now) and says so to the agent.
 * check() never rejects.
 */
import type { BusinessNumber, CallPermissionConfig } from '../config/types';
import { fetchPermissionState, graphError, parsePermissionState, sendPermissionRequest, type PermissionState } from '../graph/call-permissions';
import { GraphUnreachable, type GraphTarget } from '../graph/graph-client';
import type { Logger } from '../util/logger';
import type { RateLimitedLog } from '../util/rate-limited-log';
import { RateWindow, TtlCache } from '../util/ttl-cache';
import { decide, requestOutcomeText, type PermissionDecision } from './permission-decision';

/** Meta's limit on GET call_permissions (api-and-webhook-reference.txt) */
export const GRAPH_REQUESTS_PER_SECOND = 5;
const CACHE_ENTRIES = 10_000;

export type PermissionOutcome =
  | { kind: 'allow'; permission: string }
  | { kind: 'refuse'; cause: Extract<PermissionDecision, { kind: 'refuse' }>['cause']; text: string }
  | { kind: 'unchecked'; why: 'timeout' | 'unreachable' | 'rate-limited' | 'bad-answer' | `http-${number}`; detail: string };

export interface PermissionCheck {
  /** what Meta's call permissions say of a call from `business` to `user` (E.164); never rejects */
  check(business: BusinessNumber, user: string, signal: AbortSignal): Promise<PermissionOutcome>;
  /** Meta refused a call the check had let through: ask again next time */
  forget(business: BusinessNumber, user: string): void;
}

export interface PermissionEvents {
  checked(result: PermissionOutcome['kind'], reason: string): void;
  requested(result: 'sent' | 'failed'): void;
}

type Lookup = { state: PermissionState } | Extract<PermissionOutcome, { kind: 'unchecked' }>;

const KNOWN_PERMISSIONS = new Set(['temporary', 'permanent', 'no_permission']);

export class CallPermissionGate implements PermissionCheck {
  private readonly cache: TtlCache<PermissionState>;
  private readonly inFlight = new Map<string, Promise<Lookup>>();
  private readonly requests = new Map<string, Promise<'sent' | 'failed'>>();
  /** (number, user) a permission request went to lately: not sent again while the answer may be cached */
  private readonly requested: TtlCache<true>;
  private readonly window: RateWindow;

  constructor(
    private readonly deps: { log: Logger; refusals: RateLimitedLog; events: PermissionEvents },
    private readonly now: () => number = Date.now,
  ) {
    this.cache = new TtlCache(CACHE_ENTRIES, now);
    this.requested = new TtlCache(CACHE_ENTRIES, now);
    this.window = new RateWindow(GRAPH_REQUESTS_PER_SECOND, 1000, now);
  }

  async check(business: BusinessNumber, user: string, signal: AbortSignal): Promise<PermissionOutcome> {
    const cfg = business.call_permissions;
    if (!cfg) return { kind: 'allow', permission: 'not checked' };
    let outcome: PermissionOutcome;
    try {
      outcome = await this.outcome(cfg, business.number, user, signal);
    } catch (err) {
      this.deps.log.error({ err, business: business.number }, 'bug in the call permission check: the call goes to Meta unchecked');
      outcome = { kind: 'unchecked', why: 'bad-answer', detail: (err as Error).message };
    }
    this.report(business.number, cfg, outcome);
    return outcome;
  }

  forget(business: BusinessNumber, user: string): void {
    if (business.call_permissions) this.cache.delete(keyOf(business.call_permissions, user));
  }

  private async outcome(cfg: CallPermissionConfig, number: string, user: string, signal: AbortSignal): Promise<PermissionOutcome> {
    const looked = await this.lookup(cfg, user);
    if (!('state' in looked)) return looked;
    const d = decide(looked.state);
    if (d.kind === 'allow') return d;
    if (d.kind === 'unchecked') return { kind: 'unchecked', why: 'bad-answer', detail: d.why };
    if (d.cause !== 'no-call-permission' || !cfg.request_permission) return { kind: 'refuse', cause: d.cause, text: d.text };
    const key = keyOf(cfg, user);
    let said: Parameters<typeof requestOutcomeText>[0];
    if (this.requested.get(key) || this.requests.has(key)) said = await (this.requests.get(key) ?? Promise.resolve('sent' as const));
    else if (!d.request.possible) said = { notNow: d.request.from };
    // the agent gave up while Meta was asked: no message goes to the user on behalf of a call that is gone
    else if (signal.aborted) return { kind: 'refuse', cause: d.cause, text: d.text };
    else said = await this.request(cfg, number, user, key);
    return { kind: 'refuse', cause: d.cause, text: `${d.text}; ${requestOutcomeText(said)}` };
  }

  /** the permission state: cached, shared with a request already out, or asked for now */
  private lookup(cfg: CallPermissionConfig, user: string): Promise<Lookup> {
    const key = keyOf(cfg, user);
    const cached = this.cache.get(key);
    if (cached) return Promise.resolve({ state: cached });
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    if (!this.window.take(cfg.phone_number_id)) {
      return Promise.resolve({ kind: 'unchecked', why: 'rate-limited', detail: `more than ${GRAPH_REQUESTS_PER_SECOND} call permission requests in a second` });
    }
    const p = this.fetch(cfg, user).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, p);
    return p;
  }

  private async fetch(cfg: CallPermissionConfig, user: string): Promise<Lookup> {
    let answer;
    try {
      answer = await fetchPermissionState(target(cfg), cfg.phone_number_id, user, cfg.timeout_ms);
    } catch (err) {
      const timedOut = err instanceof GraphUnreachable && err.timedOut;
      return { kind: 'unchecked', why: timedOut ? 'timeout' : 'unreachable', detail: (err as Error).message };
    }
    if (!answer.ok) return { kind: 'unchecked', why: `http-${answer.status}`, detail: graphError(answer.body) };
    const state = parsePermissionState(answer.body);
    if (typeof state === 'string') return { kind: 'unchecked', why: 'bad-answer', detail: state };
    if (cfg.cache_seconds > 0) this.cache.set(keyOf(cfg, user), state, this.cacheUntil(cfg, state));
    return { state };
  }

  /** `cache_seconds` from now, but not past the time a limit lifts or the permission expires */
  private cacheUntil(cfg: CallPermissionConfig, state: PermissionState): number {
    const times = [this.now() + cfg.cache_seconds * 1000];
    if (state.expiresAt !== null) times.push(state.expiresAt * 1000);
    for (const a of Object.values(state.actions)) for (const l of a.limits) if (l.liftsAt !== null) times.push(l.liftsAt * 1000);
    return Math.min(...times);
  }

  /** send the call permission request once for concurrent calls; afterwards Meta is asked again */
  private request(cfg: CallPermissionConfig, number: string, user: string, key: string): Promise<'sent' | 'failed'> {
    const p = (async (): Promise<'sent' | 'failed'> => {
      try {
        const answer = await sendPermissionRequest(target(cfg), cfg.phone_number_id, user, cfg.request_text, cfg.timeout_ms);
        if (answer.ok) return 'sent';
        this.deps.log.warn({ business: number, status: answer.status, error: graphError(answer.body) }, 'call permission request refused by the Graph API');
      } catch (err) {
        this.deps.log.warn({ business: number, err: (err as Error).message }, 'call permission request not sent');
      }
      return 'failed';
    })().then((r) => {
      this.requests.delete(key);
      if (r === 'sent') {
        this.cache.delete(key);
        this.requested.set(key, true, this.now() + Math.max(cfg.cache_seconds, 1) * 1000);
        this.deps.log.info({ business: number, user }, 'call permission request sent to the WhatsApp user');
      }
      this.deps.events.requested(r);
      return r;
    });
    this.requests.set(key, p);
    return p;
  }

  private report(number: string, cfg: CallPermissionConfig, o: PermissionOutcome): void {
    if (o.kind === 'allow') this.deps.events.checked('allow', KNOWN_PERMISSIONS.has(o.permission) ? o.permission : 'other');
    else if (o.kind === 'refuse') this.deps.events.checked('refuse', o.cause);
    else {
      this.deps.events.checked('unchecked', o.why);
      this.deps.refusals.note('warn', cfg.phone_number_id, `call-permission-${o.why}`, { business: number, why: o.why, detail: o.detail },
        'call permission check failed: the call goes to Meta unchecked');
    }
  }
}

function keyOf(cfg: CallPermissionConfig, user: string): string {
  return `${cfg.phone_number_id}\u0000${user}`;
}

function target(cfg: CallPermissionConfig): GraphTarget {
  return { baseUrl: cfg.graph_url, version: cfg.graph_version, token: cfg.token };
}
