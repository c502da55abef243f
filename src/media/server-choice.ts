/** what the choice of a media server for a new call looks at, for each configured server */
export interface ServerLoad {
  /** connected and not drained */
  readonly open: boolean;
  /** FreeSWITCH channels the gateway holds there */
  readonly legs: number;
  /** legs asked of it and not yet made (our INVITE unanswered, an originate not yet arrived) */
  readonly settingUp: number;
  /** at most this many legs being set up at once (0: no limit) */
  readonly maxSetups: number;
}

/**
 * The open server holding the fewest legs (SPEC R3), leaving out the ones already setting up
 * as many legs as they may: 'busy' when every open server is, null when none is open.
 *
 * Why a cap on legs in set-up: a FreeSWITCH short of CPU answers later and later, and a caller
 * that times out retransmits and then calls again, so the queue grows until nobody gets through
 * (T2 held past capacity: 5,615 of 6,000 calls failed). Refusing the excess at once with a 503
 * keeps the set-up time of the calls it takes bounded.
 */
export function chooseServer<T extends ServerLoad>(servers: readonly T[]): T | 'busy' | null {
  let best: T | null = null;
  let busy = false;
  for (const s of servers) {
    if (!s.open) continue;
    if (s.maxSetups > 0 && s.settingUp >= s.maxSetups) {
      busy = true;
      continue;
    }
    if (!best || s.legs < best.legs) best = s;
  }
  return best ?? (busy ? 'busy' : null);
}
