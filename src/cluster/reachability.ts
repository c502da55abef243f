import type { Logger } from '../util/logger';

export type SharedState = 'limits' | 'nonces';
export type UnreachableOutcome = 'admitted' | 'refused';

/**
 * Whether Redis answers, per use (limits, nonces), and what the gateway does when it does
 * not: `redis.on_unreachable` fail-open (calls go on, with this instance's own limits and
 * replay check) or fail-closed (503). A change either way is one log line; every call the
 * outage decided is counted (wagw_shared_state_unreachable_total).
 */
export class Reachability {
  private readonly down = new Set<SharedState>();

  constructor(
    readonly failOpen: boolean,
    private readonly log: Logger,
    private readonly count: (what: SharedState, outcome: UnreachableOutcome) => void,
  ) {}

  get up(): boolean {
    return this.down.size === 0;
  }

  ok(what: SharedState): void {
    if (!this.down.delete(what)) return;
    this.log.info({ what }, 'Redis answers again: shared state in use');
  }

  /** the connection is back: every use counts as up again until it fails anew */
  reconnected(): void {
    if (this.down.size === 0) return;
    this.log.info({ what: [...this.down] }, 'Redis answers again: shared state in use');
    this.down.clear();
  }

  failed(what: SharedState, outcome: UnreachableOutcome | null, err: Error): void {
    if (outcome) this.count(what, outcome);
    if (this.down.has(what)) return;
    this.down.add(what);
    const mode = this.failOpen ? 'fail-open: calls go on with this instance\'s own count' : 'fail-closed: new calls get 503';
    this.log.warn({ what, err: err.message, on_unreachable: this.failOpen ? 'fail-open' : 'fail-closed' }, `Redis unreachable for ${what}; ${mode}`);
  }
}
