import { buildApp } from './app';
import { ConfigError, loadConfig, runtimeConfigError } from './config/load';
import type { GatewayConfig } from './config/types';
import { CALLS_END_MS, STOP_TIMEOUT_MS } from './shutdown-budget';
import { createLogger } from './util/logger';
import { withTimeout } from './util/time';

/** after a bug (uncaught exception, unhandled rejection): time to hang up the calls before exiting */
const CRASH_TEARDOWN_MS = 2000;
/** exit codes: 2 a configuration mistake, 70 a bug (EX_SOFTWARE); the supervisor restarts either */
const EXIT_CONFIG = 2;
const EXIT_BUG = 70;

/**
 * load config → logger → buildApp() → start.
 * SIGTERM/SIGINT → drain (new calls 503, active ones finish until shutdown.drain_seconds) → exit 0.
 * SIGHUP → reopen the CDR file (logrotate), reload the config files: all or nothing, a broken one
 * is refused with a log line and the running one stays whole.
 * A bug that escapes (uncaught exception, unhandled rejection) is crash-only: logged as fatal,
 * the calls are hung up (bounded), the process exits 70 and the supervisor (docker's restart
 * policy) starts a clean one. A state after an unexpected exception is not trusted to serve on.
 */
async function main(): Promise<void> {
  const files = (process.env.WA_GW_CONFIG ?? 'config/gateway.yaml').split(',').filter(Boolean);
  let cfg: GatewayConfig;
  try {
    cfg = loadConfig(files, process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`wa-sip-gateway: invalid configuration: ${err.message}\n`);
      process.exit(EXIT_CONFIG);
    }
    throw err;
  }
  const log = createLogger(cfg.log.level);
  const app = buildApp(cfg, log);
  let crashing = false;
  const crash = (what: string, err: unknown) => {
    log.fatal({ err }, `bug: ${what}; hanging up the calls and exiting (the supervisor restarts the gateway)`);
    if (crashing) process.exit(EXIT_BUG); // a second one while hanging up: go now
    crashing = true;
    const hangUp = Promise.allSettled(app.registry.all().map((c) => c.end('gateway', 'crash')));
    void withTimeout(hangUp, CRASH_TEARDOWN_MS, undefined).finally(() => process.exit(EXIT_BUG));
  };
  process.on('unhandledRejection', (err) => crash('unhandled promise rejection', err));
  process.on('uncaughtException', (err) => crash('uncaught exception', err));
  app.onFatal(({ key, message }) => {
    const err = runtimeConfigError(files, key, message);
    log.fatal(`invalid configuration: ${err.message}`);
    process.stderr.write(`wa-sip-gateway: invalid configuration: ${err.message}\n`);
    void withTimeout(app.stop(), STOP_TIMEOUT_MS, undefined).finally(() => process.exit(EXIT_CONFIG));
  });
  await app.start();
  log.info({ files, http: app.httpPort() }, 'wa-sip-gateway started');

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal, activeCalls: app.registry.size }, 'shutting down');
    try {
      const drainMs = cfg.shutdown.drain_seconds * 1000;
      await withTimeout(app.drain(drainMs), drainMs + CALLS_END_MS, undefined);
      await withTimeout(app.stop(), STOP_TIMEOUT_MS, undefined);
      log.info('stopped');
    } catch (err) {
      log.error({ err }, 'bug: shutdown failed; exiting anyway');
    }
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGHUP', () => {
    app.reopenCdr();
    try {
      const next = loadConfig(files, process.env);
      app.reload(next);
      cfg = next;
    } catch (err) {
      log.error({ err: err instanceof ConfigError ? err.message : String(err) }, 'reload refused: the running configuration stays');
    }
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`wa-sip-gateway: fatal: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
