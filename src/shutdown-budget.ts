/**
 * How long a SIGTERM may take, end to end, so the supervisor's grace period can be set above
 * it (docker-compose.yml `stop_grace_period`, checked by test/unit/compose.test.ts):
 * `shutdown.drain_seconds` for calls to finish, then at most CALLS_END_MS to hang up the
 * ones left (each teardown step is bounded at 5 s in call-session.ts), then at most
 * STOP_TIMEOUT_MS to close drachtio, FreeSWITCH, the CDR file and HTTP.
 */
export const CALLS_END_MS = 10_000;
export const STOP_TIMEOUT_MS = 5_000;

export function shutdownBudgetMs(drainSeconds: number): number {
  return drainSeconds * 1000 + CALLS_END_MS + STOP_TIMEOUT_MS;
}
