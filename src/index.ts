import { buildApp } from './app';
import { ConfigError, loadConfig } from './config/load';
import type { GatewayConfig } from './config/types';
import { createLogger } from './util/logger';
import { withTimeout } from './util/time';

/** closing connections after the drain; past this the process exits regardless */
const STOP_TIMEOUT_MS = 5000;

/**
 * load config → logger → buildApp() → start.
 * SIGTERM/SIGINT → drain (new calls 503, active ones finish until shutdown.drain_seconds) → exit 0.
 * SIGHUP → reload the config files; a broken one is refused with a log line and the old one stays.
 */
async function main(): Promise<void> {
  const files = (process.env.WA_GW_CONFIG ?? 'config/gateway.yaml').split(',').filter(Boolean);
  let cfg: GatewayConfig;
  try {
    cfg = loadConfig(files, process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`wa-sip-gateway: invalid configuration: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(cfg.log.level);
  // a bug in one call must not take the others down: log it loudly and keep serving
  process.on('unhandledRejection', (err) => log.error({ err }, 'bug: unhandled promise rejection'));
  process.on('uncaughtException', (err) => log.error({ err }, 'bug: uncaught exception'));
  const app = buildApp(cfg, log);
  await app.start();
  log.info({ files, http: app.httpPort() }, 'wa-sip-gateway started');

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal, activeCalls: app.registry.size }, 'shutting down');
    try {
      await app.drain(cfg.shutdown.drain_seconds * 1000);
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
    try {
      cfg = loadConfig(files, process.env);
      app.reload(cfg);
    } catch (err) {
      log.error({ err: err instanceof ConfigError ? err.message : String(err) }, 'reload refused: the running configuration stays');
    }
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`wa-sip-gateway: fatal: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
