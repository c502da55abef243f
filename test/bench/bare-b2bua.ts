/**
 * The bench's reference for T1: a bare drachtio-srf B2BUA (createB2BUA, no media, no auth), in a
 * process of its own like the gateway, on its own drachtio-server. It sends every INVITE to
 * BARE_TARGET. Run by the bench: `node --require tsx/cjs test/bench/bare-b2bua.ts`.
 */
import Srf from 'drachtio-srf';

const target = process.env.BARE_TARGET!;
const srf = new Srf();
srf.invite((req, res) => {
  srf.createB2BUA(req, res, target, { localSdpB: req.body }).catch(() => undefined);
});
srf.on('connect', () => process.stdout.write('connected\n'));
srf.on('error', (err: Error) => process.stderr.write(`${err.message}\n`));
srf.connect({ host: process.env.BARE_DRACHTIO_HOST!, port: Number(process.env.BARE_DRACHTIO_PORT), secret: process.env.BARE_DRACHTIO_SECRET! });
process.on('SIGTERM', () => {
  srf.disconnect();
  process.exit(0);
});
