/**
 * What Meta's call permission state means for an agent's call, as a pure function (issue 15):
 *   start_call can be performed              → allow: the INVITE goes to Meta
 *   not allowed, no (temporary or permanent)
 *   permission                               → refuse, no-call-permission, and whether a call
 *                                              permission request may be sent now
 *   not allowed with a permission, a limit
 *   used up                                  → refuse, call-limit, naming when it lifts
 *   not allowed for another reason           → refuse, call-not-allowed
 *   an answer without start_call             → unchecked: Meta decides, as without the check
 */
import { exhausted, SEND_REQUEST, START_CALL, type ActionLimit, type PermissionState } from '../graph/call-permissions';
import { REFUSAL_CAUSES, utcTime, type RefusalCause } from './refusal-causes';

export type PermissionDecision =
  | { kind: 'allow'; permission: string }
  | {
    kind: 'refuse';
    cause: Extract<RefusalCause, 'no-call-permission' | 'call-limit' | 'call-not-allowed'>;
    text: string;
    /** no permission: whether Meta takes a permission request now, else when it will again (null: unknown) */
    request: { possible: true } | { possible: false; from: number | null };
  }
  | { kind: 'unchecked'; why: string };

/** PT24H → 24 h, P7D → 7 days; anything else as Meta wrote it */
export function periodWords(iso: string): string {
  const h = /^PT(\d+)H$/.exec(iso);
  if (h) return `${h[1]} h`;
  const d = /^P(\d+)D$/.exec(iso);
  if (d) return d[1] === '1' ? '1 day' : `${d[1]} days`;
  return iso;
}

/** the latest time among the limits at which one lifts (all of them must have lifted), or null */
function liftsAt(limits: ActionLimit[]): number | null {
  const times = limits.map((l) => l.liftsAt).filter((t): t is number => t !== null);
  return times.length ? Math.max(...times) : null;
}

export function decide(state: PermissionState): PermissionDecision {
  const start = state.actions[START_CALL];
  if (!start) return { kind: 'unchecked', why: `no ${START_CALL} action in Meta's answer` };
  if (start.canPerform) return { kind: 'allow', permission: state.status };
  if (state.status !== 'temporary' && state.status !== 'permanent') {
    const send = state.actions[SEND_REQUEST];
    const request = send?.canPerform ? { possible: true as const } : { possible: false as const, from: liftsAt(exhausted(send)) };
    return { kind: 'refuse', cause: 'no-call-permission', text: REFUSAL_CAUSES['no-call-permission'].text, request };
  }
  const used = exhausted(start);
  if (used.length === 0) {
    return { kind: 'refuse', cause: 'call-not-allowed', text: REFUSAL_CAUSES['call-not-allowed'].text, request: { possible: false, from: null } };
  }
  const when = liftsAt(used);
  const which = used.map((l) => `${l.max} per ${periodWords(l.period)}`).join(', ');
  const text = `${REFUSAL_CAUSES['call-limit'].text} (${which}); ${when === null ? 'Meta gives no time when it lifts' : `calls are possible again from ${utcTime(when)}`}`;
  return { kind: 'refuse', cause: 'call-limit', text, request: { possible: false, from: null } };
}

/** what the agent is told about the permission request, appended to the no-permission text */
export function requestOutcomeText(outcome: 'sent' | 'failed' | { notNow: number | null }): string {
  if (outcome === 'sent') return 'a call permission request was sent to the user: call again once they accept';
  if (outcome === 'failed') return 'sending a call permission request to the user failed';
  return outcome.notNow === null
    ? 'Meta takes no further call permission request to this user now'
    : `Meta takes the next call permission request to this user from ${utcTime(outcome.notNow)}`;
}
