import { buildApp } from './app';
import { ConfigError, loadConfig } from './config/load';
import { createLogger } from './util/logger';

/** load config → logger → buildApp() → start; SIGTERM/SIGINT → drain, stop. */
async function main(): Promise<void> {
  const files = (process.env.WA_GW_CONFIG ?? 'config/gateway.yaml').split(',').filter(Boolean);
  let cfg;
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
  const app = buildApp(cfg, log);
  await app.start();
  log.info({ files }, 'wa-sip-gateway started');

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal, activeCalls: app.registry.size }, 'shutting down');
    await app.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`wa-sip-gateway: fatal: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
