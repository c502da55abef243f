import Srf from 'drachtio-srf';
import { DigestServer } from './auth/digest-server';
import { createCdrSink } from './cdr/cdr';
import { CallRegistry } from './call/registry';
import type { GatewayConfig } from './config/types';
import { FsMediaService } from './media/fs-media-service';
import { InviteRouter } from './sip/invite-router';
import { MetaAdmission } from './sip/meta-admission';
import { MetaTlsVerifier } from './sip/meta-tls';
import { PbxAdmission } from './sip/pbx-admission';
import { asSignaling } from './sip/srf-types';
import type { Logger } from './util/logger';

export interface App {
  readonly registry: CallRegistry;
  readonly media: FsMediaService;
  /** connect to FreeSWITCH and drachtio-server */
  start(): Promise<void>;
  /** disconnect everything (calls should have been drained first) */
  stop(): Promise<void>;
  isDrachtioConnected(): boolean;
}

/** The one composition root (STYLE habit 1): every dependency is built here, once. */
export function buildApp(cfg: GatewayConfig, log: Logger): App {
  const srf = new Srf();
  const registry = new CallRegistry();
  const cdr = createCdrSink(cfg.cdr.file);
  const media = new FsMediaService(srf, cfg.freeswitch, log);
  const digest = new DigestServer({ realm: cfg.meta.auth_realm, ttlSeconds: cfg.meta.nonce_ttl_seconds });
  const metaAdmission = new MetaAdmission({ meta: cfg.meta, numbers: cfg.numbers, pbxs: cfg.pbxs, digest });
  const pbxDigest = new DigestServer({ realm: cfg.meta.hostname, ttlSeconds: cfg.meta.nonce_ttl_seconds });
  const pbxAdmission = new PbxAdmission(cfg.pbxs, cfg.numbers, pbxDigest);
  const router = new InviteRouter({
    meta: cfg.meta,
    metaAdmission,
    pbxAdmission,
    metaTls: new MetaTlsVerifier(cfg.meta),
    media,
    session: { sip: asSignaling(srf), media: cfg.media, registry, cdr, log },
    log,
  });
  let drachtioUp = false;

  srf.invite((req, res) => router.handle(req, res));
  // OPTIONS keep-alives (Meta's and the PBX's) are answered 200; drachtio-srf's typings omit options()
  (srf as unknown as { options(cb: (req: unknown, res: { send(s: number): void }) => void): void })
    .options((_req, res) => res.send(200));
  srf.on('connect', (_err, hostport) => {
    drachtioUp = true;
    media.setDrachtioHostport(String(hostport));
    log.info({ hostport }, 'connected to drachtio-server');
  });
  srf.on('disconnect', () => {
    drachtioUp = false;
    log.warn('lost drachtio-server connection; reconnecting');
  });
  srf.on('error', (err) => log.warn({ err: err.message }, 'drachtio-server connection error'));

  return {
    registry,
    media,
    async start() {
      await media.start();
      srf.connect({ host: cfg.drachtio.host, port: cfg.drachtio.port, secret: cfg.drachtio.secret });
    },
    async stop() {
      srf.disconnect();
      await media.close();
      await cdr.close();
    },
    isDrachtioConnected: () => drachtioUp,
  };
}
