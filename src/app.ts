import type { Server } from 'node:http';
import Srf from 'drachtio-srf';
import { DigestServer } from './auth/digest-server';
import { createCdrSink } from './cdr/cdr';
import type { SessionDeps } from './call/call-session';
import { CallPermissionGate } from './call/call-permission';
import { CallRegistry } from './call/registry';
import { CLUSTER_TAG, instanceTag, legUser } from './cluster/call-router';
import { createSharedState, type SharedState } from './cluster/shared-state';
import type { GatewayConfig } from './config/types';
import { createMetrics } from './http/metrics';
import { startHttp } from './http/server';
import { FsMediaService } from './media/fs-media-service';
import { createRtpengine, rtpengineState } from './media/rtpengine/create';
import { DtlsMediaService } from './media/dtls-media';
import { InviteRouter, type Routing } from './sip/invite-router';
import { CallLimits } from './sip/limits';
import { connectDrachtio } from './sip/drachtio-connect';
import { guardUnparseable } from './sip/drachtio-parse-guard';
import { DROPS } from './sip/errors';
import { MetaAdmission } from './sip/meta-admission';
import { MetaContact } from './sip/meta-contact';
import { countryWarnings } from './sip/meta-countries';
import { MetaTlsVerifier } from './sip/meta-tls';
import { OUT_OF_DIALOG_METHODS, OutOfDialogRouter } from './sip/out-of-dialog';
import { PbxAdmission } from './sip/pbx-admission';
import { pbxTrustWarnings } from './sip/pbx-trust';
import { asSignaling } from './sip/srf-types';
import type { Logger } from './util/logger';
import { RateLimitedLog } from './util/rate-limited-log';

export interface App {
  readonly registry: CallRegistry;
  readonly media: FsMediaService;
  /** Redis shared with the other gateway instances (limits, nonces); null without redis.host */
  readonly shared: SharedState | null;
  /** connect to FreeSWITCH and drachtio-server, open the HTTP port */
  start(): Promise<void>;
  /** refuse new calls (503), let active ones finish for up to `deadlineMs`, then end them */
  drain(deadlineMs: number): Promise<void>;
  /**
   * swap numbers, routes, PBXs, credentials and limits; active calls keep what they had.
   * All or nothing: if building the new routing throws, nothing of it is applied.
   */
  reload(cfg: GatewayConfig): void;
  /** open the CDR file again by name (logrotate moved it) */
  reopenCdr(): void;
  /** a mistake found only at run time that no retry can fix (drachtio-server refused the secret) */
  onFatal(cb: (fatal: { key: string; message: string }) => void): void;
  stop(): Promise<void>;
  isDrachtioConnected(): boolean;
  httpPort(): number | null;
}

/** refusal log lines: one per source address and code a minute; past 1,000 sources they share one line per code */
const REFUSAL_LOG_INTERVAL_MS = 60_000;
const REFUSAL_LOG_MAX_SOURCES = 1000;

/** The one composition root (STYLE habit 1): every dependency is built here, once. */
export function buildApp(initial: GatewayConfig, log: Logger): App {
  // tagged, for drachtio-server's call router when several gateways share it (src/cluster/call-router.ts)
  const srf = new Srf([CLUSTER_TAG, instanceTag(initial.cluster.instance_id)]);
  const registry = new CallRegistry();
  const media = new FsMediaService(srf, initial.freeswitch, log, { legUser: legUser(initial.cluster.instance_id) });
  // DTLS-SRTP calls with Meta go through rtpengine (issue 11); null without rtpengine.address
  const rtpengine = createRtpengine(initial.rtpengine, log);
  const dtls = () => rtpengineState(rtpengine);
  let drachtioUp = false;
  let draining = false;
  const metrics = createMetrics(registry, media, () => drachtioUp);
  // with redis.host: the limits and used nonces of every gateway instance together (issue 13)
  const shared = createSharedState(initial, new CallLimits(initial.limits, registry), log, (what, outcome) => metrics.sharedStateUnreachable(what, outcome));
  if (shared) metrics.watchSharedState(() => shared.up());
  if (rtpengine) metrics.watchRtpengine(() => rtpengine.up);
  const cdrOut = createCdrSink(initial.cdr.file, log);
  const cdr = metrics.observe(cdrOut);
  const sip = asSignaling(srf);

  // kept across reloads, so a nonce issued just before a reload is still good after it
  // signed with cluster.secret when set, so that every gateway instance accepts the others' nonces
  const nonceKey = initial.cluster.secret ? { secret: initial.cluster.secret } : {};
  const digest = new DigestServer({ realm: initial.meta.auth_realm, ttlSeconds: initial.meta.nonce_ttl_seconds, ...nonceKey, purpose: 'meta' });
  const pbxDigest = new DigestServer({ realm: initial.meta.hostname, ttlSeconds: initial.meta.nonce_ttl_seconds, ...nonceKey, purpose: 'pbx' });
  // all or nothing: every part is built first (any of them may throw), and only then is the
  // shared state changed, in steps that cannot fail
  const buildRouting = (cfg: GatewayConfig): Routing => {
    const session: SessionDeps = { sip, media: cfg.media, registry, cdr, log, refusals };
    const own = new CallLimits(cfg.limits, registry);
    const next: Routing = {
      meta: cfg.meta,
      metaAdmission: new MetaAdmission({ meta: cfg.meta, numbers: cfg.numbers, pbxs: cfg.pbxs, digest, dtls }),
      pbxAdmission: new PbxAdmission(cfg.pbxs, cfg.numbers, pbxDigest, cfg.meta.hostname),
      metaTls: new MetaTlsVerifier(cfg.meta),
      permissions,
      limits: shared ? shared.limiter : own,
      correlationHeader: cfg.homer.correlation_header,
      session,
    };
    digest.configure({ realm: cfg.meta.auth_realm, ttlSeconds: cfg.meta.nonce_ttl_seconds });
    pbxDigest.configure({ realm: cfg.meta.hostname, ttlSeconds: cfg.meta.nonce_ttl_seconds });
    shared?.configure(cfg.limits, own);
    // a PBX trusted on its UDP source, or one whose UDP calls will be refused: said at every (re)load
    for (const w of pbxTrustWarnings(cfg.pbxs)) log.warn({ pbx: w.pbx }, w.msg);
    // numbers of countries where Meta offers no business-initiated calling (meta-countries.ts)
    for (const w of countryWarnings(cfg.numbers)) log.warn({ business: w.number }, w.msg);
    for (const n of cfg.numbers) if (n.srtp === 'dtls' && !rtpengine) log.warn({ business: n.number }, 'srtp: dtls, but no rtpengine.address: agent calls from this number get 503');
    return next;
  };
  // refusals are logged at most once per source address and code a minute, with a count (SPEC R5)
  const refusals = new RateLimitedLog(log, { intervalMs: REFUSAL_LOG_INTERVAL_MS, maxKeys: REFUSAL_LOG_MAX_SOURCES });
  // kept across reloads: its cache and its rate limit toward the Graph API
  const permissions = new CallPermissionGate({
    log, refusals, events: { checked: (result, reason) => metrics.permissionChecked(result, reason), requested: (result) => metrics.permissionRequested(result) },
  });
  let routing = buildRouting(initial);
  const metaContact = new MetaContact();
  const router = new InviteRouter({
    metaContact,
    routing: () => routing,
    media: new DtlsMediaService(media, rtpengine, { meta: initial.rtpengine.meta_interface, freeswitch: initial.rtpengine.freeswitch_interface }, log),
    draining: () => draining,
    onRejected: (code, status) => metrics.rejected(code, status),
    refusals,
    ...(shared ? { nonces: shared.nonces } : {}),
    log,
  });
  srf.invite((req, res) => router.handle(req, res));
  // OPTIONS (Meta's and the PBX's keep-alives) and every other method outside a dialog
  const outOfDialog = new OutOfDialogRouter({
    trusted: (address) => routing.metaAdmission.isMetaSource(address) || routing.pbxAdmission.identify(address) !== null,
    onRefused: (code, status) => metrics.rejected(code, status),
    refusals,
    log,
  });
  for (const method of OUT_OF_DIALOG_METHODS) {
    srf.use(method, (req, res) => outOfDialog.handle(req, res));
  }
  // what drachtio-server passes on and drachtio-srf cannot parse: dropped, counted, one line per source a minute
  guardUnparseable(srf as unknown as { app: unknown }, (address, transport) => {
    metrics.rejected('UNPARSEABLE', null);
    refusals.note('warn', address, 'UNPARSEABLE', { transport, detail: DROPS.UNPARSEABLE }, 'request dropped');
  });
  const fatalListeners: ((fatal: { key: string; message: string }) => void)[] = [];
  srf.on('connect', (err, hostport) => {
    // drachtio-srf reports a refused authentication as a 'connect' with an error
    if (err) return drachtioRefused();
    drachtioUp = true;
    media.setDrachtioHostport(String(hostport));
    metaContact.setHostports(String(hostport));
    log.info({ hostport }, 'connected to drachtio-server');
  });
  // drachtio-srf reports a lost connection as 'close' and reconnects on its own
  (srf as unknown as { on(e: 'close', cb: () => void): void }).on('close', () => {
    if (!drachtioUp) return;
    drachtioUp = false;
    // the SIP dialogs live in drachtio-server: none of them can be signalled again, so the
    // calls end here and their FreeSWITCH channels are killed (SPEC R3: nothing half-open)
    log.warn({ activeCalls: registry.size }, 'lost drachtio-server connection: ending its calls; reconnecting');
    for (const call of registry.all()) void call.end('gateway', 'drachtio-lost');
  });
  srf.on('error', (err) => {
    drachtioUp = false;
    log.warn({ err: err.message }, 'drachtio-server connection error');
  });
  // a media server that goes away takes its calls with it: end both legs at once (SPEC R3)
  media.onServerLost((server) => {
    for (const call of registry.all()) if (call.mediaServer() === server) void call.end('gateway', 'media-server-lost');
  });

  let http: Server | null = null;
  let stopDrachtio = () => undefined as void;
  /** a wrong secret stays wrong: say so, stop reconnecting (drachtio-srf would retry every 255 ms) */
  const drachtioRefused = () => {
    const where = `${initial.drachtio.host}:${initial.drachtio.port}`;
    const message = `drachtio-server at ${where} refused the secret: it does not match drachtio-server's --secret`;
    log.error({ drachtio: where }, `${message}; not reconnecting`);
    stopDrachtio();
    try { srf.disconnect(); } catch { /* drachtio-server closed it already */ }
    for (const l of fatalListeners) l({ key: 'drachtio.secret', message });
  };
  return {
    registry,
    media,
    shared,
    async start() {
      await media.start();
      await rtpengine?.start();
      await shared?.start();
      stopDrachtio = connectDrachtio(srf as unknown as Parameters<typeof connectDrachtio>[0], initial.drachtio);
      if (initial.http.port) {
        http = await startHttp(initial.http.host, initial.http.port, {
          metrics: metrics.registry,
          ready: () => {
            const mediaServers = media.healthyCount();
            // a drained media server is connected but takes no new call
            const ready = drachtioUp && media.availableCount() > 0 && !draining;
            return { ready, drachtio: drachtioUp, mediaServers, draining, activeCalls: registry.size, rtpengine: dtls() };
          },
          media,
        });
      }
    },
    async drain(deadlineMs) {
      draining = true;
      log.info({ activeCalls: registry.size, deadlineMs }, 'draining: new calls get 503');
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'deadline'>((resolve) => { timer = setTimeout(() => resolve('deadline'), deadlineMs); });
      const outcome = await Promise.race([registry.idle().then(() => 'idle' as const), deadline]);
      clearTimeout(timer);
      if (outcome === 'deadline') {
        log.warn({ activeCalls: registry.size }, 'drain deadline: ending the calls left');
        await Promise.allSettled(registry.all().map((c) => c.end('gateway', 'shutdown')));
      }
    },
    reload(cfg) {
      if (JSON.stringify([cfg.drachtio, cfg.freeswitch, cfg.http, cfg.cdr, cfg.cluster, cfg.redis, cfg.rtpengine]) !== JSON.stringify([initial.drachtio, initial.freeswitch, initial.http, initial.cdr, initial.cluster, initial.redis, initial.rtpengine])) {
        log.warn('drachtio, freeswitch, http, cdr, cluster, redis and rtpengine settings change only on restart; the rest is reloaded');
      }
      routing = buildRouting(cfg);
      log.info({ numbers: cfg.numbers.length, pbxs: cfg.pbxs.length }, 'configuration reloaded');
    },
    reopenCdr() {
      cdrOut.reopen();
    },
    onFatal(cb) {
      fatalListeners.push(cb);
    },
    async stop() {
      stopDrachtio();
      refusals.close();
      // drachtio-srf asserts when it has no connection (drachtio-server down): nothing to close then
      try { srf.disconnect(); } catch { /* not connected */ }
      await media.close();
      rtpengine?.stop();
      await shared?.stop();
      await cdr.close();
      // idle keep-alive connections (a scraper, a load balancer) must not hold the exit up
      http?.closeIdleConnections();
      await new Promise<void>((resolve) => (http ? http.close(() => resolve()) : resolve()));
    },
    isDrachtioConnected: () => drachtioUp,
    httpPort: () => {
      const a = http?.address();
      return a && typeof a === 'object' ? a.port : null;
    },
  };
}
