import type Srf from 'drachtio-srf';
import type { FreeswitchServer } from '../config/types';
import { addressSet, isValidCidr } from '../util/cidr';
import type { Logger } from '../util/logger';
import { bareHost, localSipTarget, parseHostports } from '../util/sip-uri';
import { connectionFamily } from '../sdp/connection-family';
import { withTimeout } from '../util/time';
import { AnsweringLeg } from './answering-leg';
import { tuneEventSocket } from './esl-socket';
import type { FsDialogLeg } from './fs-dialog-leg';
import type { FsMediaServer, FsMrf } from './fsmrf-types';
import { OriginateRegistry } from './originated-leg';
import { chooseServer } from './server-choice';
import { profileAddress } from './sofia-status';
import { TelephoneEventCheck } from './telephone-event';
import type { LegOptions, MediaLeg, MediaService, MediaSession, OfferOptions } from './types';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const Mrf = require('drachtio-fsmrf') as new (srf: Srf) => FsMrf;

const RECONNECT_MS = 2000;

/**
 * The FreeSWITCH servers of the config, each kept connected (reconnecting after a loss),
 * and the choice of one for a new call: the connected server with the fewest sessions.
 */
class ServerSlot {
  ms: FsMediaServer | null = null;
  /** FreeSWITCH channels the gateway holds here (FreeSWITCH's own count comes only every 20 s) */
  legs = 0;
  /** of them, the ones asked for and not yet made */
  settingUp = 0;
  /** channels FreeSWITCH kept after the gateway hung them up and killed them (fs-dialog-leg.ts doRelease) */
  stuck = 0;
  /** no new calls here; the ones it has go on (drain through the HTTP API or the CLI) */
  drained = false;
  /** SIP address of the `<profile>_ipv6` profile, which answers IPv6 offers (null: the server has none) */
  ipv6Sip: string | null = null;
  /** an IPv6 offer was answered by the IPv4 profile (said once per connection) */
  warnedNoIpv6 = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(readonly conf: FreeswitchServer, private readonly mrf: FsMrf, private readonly log: Logger, private readonly onLost: (server: string) => void) {}

  get name(): string {
    return `${this.conf.host}:${this.conf.port}`;
  }

  get open(): boolean {
    return (this.ms?.connected() ?? false) && !this.drained;
  }

  get maxSetups(): number {
    return this.conf.max_setups;
  }

  async connect(): Promise<void> {
    if (this.stopped) return;
    try {
      const ms = await this.mrf.connect({
        address: this.conf.host,
        port: this.conf.port,
        secret: this.conf.secret,
        // fsmrf always opens a listener for per-channel event sockets; our legs use none
        listenAddress: '127.0.0.1',
        listenPort: 0,
        advertisedAddress: '127.0.0.1',
        profile: this.conf.profile,
      });
      tuneEventSocket(ms);
      ms.conn.subscribe(['BACKGROUND_JOB']); // originate results (originated-leg.ts)
      ms.on('end', () => this.lost('connection ended'));
      ms.on('error', (err) => this.lost(err?.message ?? 'error'));
      this.ms = ms;
      this.ipv6Sip = null;
      this.warnedNoIpv6 = false;
      this.log.info({ server: this.name, sip: ms.sip.ipv4.udp.address }, 'media server connected');
      const ipv6 = profileAddress(await withTimeout(ms.api('sofia status'), 2000, ''), `${this.conf.profile}_ipv6`);
      if (this.ms !== ms) return; // lost meanwhile
      this.ipv6Sip = ipv6;
      this.log.info({ server: this.name, profile: `${this.conf.profile}_ipv6`, sip: ipv6 }, ipv6 ? 'IPv6 offers are answered by the IPv6 profile' : 'no IPv6 profile: IPv6 offers are answered from IPv4');
    } catch (err) {
      this.log.warn({ server: this.name, err: (err as Error).message }, 'media server connect failed; retrying');
      this.schedule();
    }
  }

  /** FreeSWITCH will answer with an IPv4 address, which an IPv6-only peer cannot send to */
  noIpv6Profile(): void {
    if (this.warnedNoIpv6) return;
    this.warnedNoIpv6 = true;
    this.log.warn({ server: this.name, profile: `${this.conf.profile}_ipv6` }, 'IPv6 offer, but this media server has no IPv6 profile: answered from its IPv4 address');
  }

  private lost(why: string): void {
    if (!this.ms) return;
    this.log.error({ server: this.name, why }, 'media server lost');
    const old = this.ms;
    this.ms = null;
    try { old.disconnect(); } catch { /* already closed */ }
    this.onLost(this.name);
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.connect(), RECONNECT_MS);
  }

  /** a FreeSWITCH thread is stuck on this channel: only a restart of the server frees it */
  channelStuck(uuid: string): void {
    this.stuck++;
    this.log.error({ server: this.name, uuid, stuck: this.stuck }, 'FreeSWITCH keeps a channel the gateway hung up and killed; drain and restart this media server to free it');
  }

  legEnded(): void {
    this.legs--;
    if (this.drained && this.legs === 0) this.log.info({ server: this.name }, 'drained media server has no calls left');
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    try { this.ms?.disconnect(); } catch { /* already closed */ }
    this.ms = null;
  }
}

/** the hosts of a media server's SIP addresses (`127.0.0.1:5080` → `127.0.0.1`, `[::1]:5080` → `::1`) */
function sipHosts(ms: FsMediaServer): string[] {
  const all = [ms.sip.ipv4?.udp.address, ms.sip.ipv4?.dtls.address, ms.sip.ipv6?.udp.address, ms.sip.ipv6?.dtls.address];
  return all.flatMap((a) => {
    const host = a ? bareHost(a.replace(/:\d+$/, '')) : '';
    return host && isValidCidr(host) ? [host] : [];
  });
}

/** leg settings as headers on our INVITE to FreeSWITCH; its dialplan turns them into channel variables */
function legHeaders(leg: LegOptions): Record<string, string> {
  return { 'X-WA-Leg': leg.tag, 'X-WA-Media-Timeout': String(leg.rtpTimeoutSeconds * 1000), 'X-WA-Comfort-Noise': String(leg.comfortNoise) };
}

/** the same settings as channel variables of a leg FreeSWITCH originates */
function legVariables(leg: LegOptions): Record<string, string> {
  return {
    'sip_h_X-WA-Leg': leg.tag,
    ...(leg.rtpTimeoutSeconds > 0 ? { media_timeout: String(leg.rtpTimeoutSeconds * 1000) } : {}),
    ...(leg.comfortNoise ? { bridge_generate_comfort_noise: 'true' } : {}),
  };
}

class FsSession implements MediaSession {
  readonly server: string;

  constructor(
    private readonly ms: FsMediaServer,
    private readonly slot: ServerSlot,
    private readonly profile: string,
    private readonly originate: OriginateRegistry,
    private readonly drachtioSip: () => string,
    private readonly telephoneEvent: TelephoneEventCheck,
  ) {
    this.server = slot.name;
  }

  /** an IPv6 offer (Meta over IPv6) goes to the server's IPv6 profile, whose RTP is IPv6 */
  async answerOffer(offer: string, leg: LegOptions): Promise<MediaLeg> {
    let at: string | undefined;
    if (connectionFamily(offer) === 6) {
      if (this.slot.ipv6Sip) at = this.slot.ipv6Sip;
      else this.slot.noIpv6Profile();
    }
    return this.counted(AnsweringLeg.create(this.ms, offer, legHeaders(leg), at));
  }

  /**
   * FreeSWITCH's offers come from a call it originates to drachtio (see originated-leg.ts):
   * the far side's answer then reaches FreeSWITCH as an answer, in our 200 OK, with no
   * re-INVITE on the set-up path and with FreeSWITCH's SRTP key kept.
   */
  async createOffer(opts: OfferOptions, leg: LegOptions): Promise<MediaLeg> {
    const made = await this.counted(this.originate.originate(this.ms, this.ms.srf, this.profile, this.drachtioSip(), {
      // ^^: switches the list separator, as commas would split the variable list
      absolute_codec_string: `^^:${opts.codecs.join(':')}`,
      rtp_secure_media: opts.srtp ? 'true:AES_CM_128_HMAC_SHA1_80' : 'false',
      ...legVariables(leg),
    }));
    // the telephone-event payload type comes from the sofia profile (telephone-event.ts)
    this.telephoneEvent.check(this.server, this.profile, opts.telephoneEventPt, made.localSdp);
    return made;
  }

  /** the server's leg count, from before the leg is asked for until it is gone */
  private async counted(making: Promise<FsDialogLeg>): Promise<MediaLeg> {
    const slot = this.slot;
    slot.legs++;
    slot.settingUp++;
    try {
      const leg = await making;
      leg.whenClosed(() => slot.legEnded());
      leg.whenStuck(() => slot.channelStuck(leg.id));
      return leg;
    } catch (err) {
      slot.legs--;
      throw err;
    } finally {
      slot.settingUp--;
    }
  }
}

export class FsMediaService implements MediaService {
  private readonly slots: ServerSlot[];
  private readonly originate: OriginateRegistry;
  /** drachtio's SIP address for FreeSWITCH's own INVITEs (set when drachtio connects) */
  private drachtioSip = '127.0.0.1:5060';

  private readonly lostListeners: ((server: string) => void)[] = [];

  private readonly telephoneEvent: TelephoneEventCheck;

  constructor(srf: Srf, servers: readonly FreeswitchServer[], private readonly log: Logger, opts: { legUser?: string } = {}) {
    this.originate = new OriginateRegistry(opts.legUser);
    this.telephoneEvent = new TelephoneEventCheck(log);
    const mrf = new Mrf(srf);
    this.slots = servers.map((s) => new ServerSlot(s, mrf, log, (name) => this.lostListeners.forEach((l) => l(name))));
  }

  /** called with the server's name when a connected media server is lost */
  onServerLost(cb: (server: string) => void): void {
    this.lostListeners.push(cb);
  }

  /** connect to every server; resolves once each has been tried once */
  async start(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.connect()));
  }

  /** the connected server holding the fewest of our legs (SPEC R3), unless it is setting up all it may (server-choice.ts) */
  allocate(): MediaSession | 'busy' | null {
    const best = chooseServer(this.slots);
    if (best === 'busy') return best;
    return best?.ms ? new FsSession(best.ms, best, best.conf.profile, this.originate, () => this.drachtioSip, this.telephoneEvent) : null;
  }

  claimLeg(legId: string, req: unknown, res: unknown): boolean {
    return this.originate.claim(legId, req as Srf.SrfRequest, res as Srf.SrfResponse);
  }

  isMediaServerAddress(address: string): boolean {
    const hosts = this.slots.flatMap((s) => (s.ms?.connected() ? sipHosts(s.ms) : []));
    return hosts.length > 0 && addressSet(hosts).has(bareHost(address));
  }

  /**
   * from drachtio's connect hostport, e.g. `tcp/127.0.0.1:5060,udp/[::1]:5060,tls/...`: FreeSWITCH's
   * profile is IPv4, so its INVITEs go to drachtio's IPv4 UDP listener (IPv6 only if there is none)
   */
  setDrachtioHostport(hostport: string): void {
    const target = localSipTarget(parseHostports(hostport), 'udp', 4);
    if (target) this.drachtioSip = target;
  }

  /**
   * Drain a media server (`host:port` of its event socket, as configured): no new calls go
   * there, its calls finish. `false` undoes it. Returns false for a server not configured.
   */
  drain(server: string, drained = true): boolean {
    const slot = this.slots.find((s) => s.name === server);
    if (!slot) return false;
    if (slot.drained !== drained) this.log.info({ server, legs: slot.legs }, drained ? 'media server drained: no new calls' : 'media server takes new calls again');
    slot.drained = drained;
    if (drained && slot.legs === 0) this.log.info({ server }, 'drained media server has no calls left');
    return true;
  }

  /** each configured media server: connected, drained, and the FreeSWITCH channels the gateway holds there */
  servers(): { server: string; connected: boolean; drained: boolean; legs: number; stuck: number }[] {
    return this.slots.map((s) => ({ server: s.name, connected: s.ms?.connected() ?? false, drained: s.drained, legs: s.legs, stuck: s.stuck }));
  }

  /** channels the media servers kept after the gateway hung them up and killed them, since the start */
  stuckCount(): number {
    return this.slots.reduce((n, s) => n + s.stuck, 0);
  }

  /** connected and not drained: where new calls can go */
  availableCount(): number {
    return this.slots.filter((s) => s.open).length;
  }

  healthyCount(): number {
    return this.slots.filter((s) => s.ms?.connected()).length;
  }

  async close(): Promise<void> {
    for (const s of this.slots) s.stop();
  }
}
