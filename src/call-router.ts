/**
 * `node dist/call-router.js [--listen 127.0.0.1:3010] [--log-level info]`: the router
 * drachtio-server asks which gateway instance takes a new request, when several gateway
 * processes share one drachtio-server (src/cluster/call-router.ts). Stateless; run it next
 * to drachtio-server and point drachtio's `--http-handler` at it.
 */
import { parseArgs } from './cli/args';
import { startCallRouter } from './cluster/call-router';
import { createLogger } from './util/logger';

function main(): void {
  let listen = '127.0.0.1:3010';
  let level = 'info';
  try {
    const args = parseArgs(process.argv.slice(2), { values: ['listen', 'log-level'] });
    listen = args.values.get('listen') ?? listen;
    level = args.values.get('log-level') ?? level;
  } catch (err) {
    process.stderr.write(`call-router: ${(err as Error).message}\nusage: call-router [--listen HOST:PORT] [--log-level LEVEL]\n`);
    process.exit(2);
  }
  const m = /^(.+):(\d+)$/.exec(listen);
  if (!m) {
    process.stderr.write(`call-router: --listen ${listen}: must be HOST:PORT\n`);
    process.exit(2);
  }
  const log = createLogger(level);
  const host = m[1]!.replace(/^\[|\]$/g, '');
  startCallRouter(host, Number(m[2]), log).then((server) => {
    log.info({ listen }, 'call router listening');
    const stop = () => server.close(() => process.exit(0));
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  }, (err: Error) => {
    log.fatal({ err: err.message, listen }, 'call router cannot listen');
    process.exit(1);
  });
}

main();
