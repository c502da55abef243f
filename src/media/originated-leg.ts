import { randomUUID } from 'node:crypto';
import type Srf from 'drachtio-srf';
import type { FsMediaServer } from './fsmrf-types';
import { hangUpQuietly } from '../sip/srf-types';
import { FsDialogLeg } from './fs-dialog-leg';
import { withTimeout } from '../util/time';
import { EarlyMedia } from './early-media';

type Request = Srf.SrfRequest;
type Response = Srf.SrfResponse;

const OFFER_TIMEOUT_MS = 8000;
/** from our 183 or 200 OK to FreeSWITCH's originate job reporting the channel up */
const ORIGINATE_DONE_MS = 5000;

/**
 * A FreeSWITCH leg that makes an SDES-SRTP offer: FreeSWITCH originates a call to
 * drachtio (`originate ... &park`), the gateway holds that INVITE, its SDP is our offer to
 * the far side, and the far side's answer goes back in our 200 OK.
 *
 * Why not fsmrf's 3pcc endpoint: FreeSWITCH's 3pcc offer carries no `a=crypto`, and
 * giving FreeSWITCH the far side's key in a re-INVITE *offer* makes it pick a new key of
 * its own, which the far side (Meta, which takes no re-INVITE) would never learn. Here
 * the far side's key reaches FreeSWITCH in an answer, so FreeSWITCH keeps its key.
 */
export class OriginatedLeg extends FsDialogLeg {
  private readyP: Promise<void> | null = null;
  private readonly early: EarlyMedia;

  constructor(
    ms: FsMediaServer,
    private readonly srf: Srf,
    id: string,
    private readonly req: Request,
    private readonly res: Response,
    private readonly originated: Promise<void>,
  ) {
    super(ms, id);
    this.early = new EarlyMedia(ms, id, res);
    req.on('cancel', () => this.markGone('ORIGINATOR_CANCEL'));
  }

  /** FreeSWITCH's SDP as it is now: its offer, then its answer to each later re-INVITE */
  get localSdp(): string {
    return this.dialog?.remote.sdp ?? this.req.body;
  }

  /** a 183 with a stand-in answer, so the leg can be bridged while the far side rings (early-media.ts) */
  protected override holdEarly(): boolean {
    if (this.dialog || this.gone || this.released || this.res.finalResponseSent) return false;
    return this.early.hold(this.req.body, this.originated);
  }

  /** once FreeSWITCH has our 183 (bridgeEarly) or our 200 OK: its originate job reports the channel up */
  override ready(): Promise<void> {
    this.readyP ??= withTimeout(this.originated.then(() => true), ORIGINATE_DONE_MS, false).then((done) => {
      if (!done) throw new Error('FreeSWITCH did not finish originating the leg in time');
    });
    return this.readyP;
  }

  /** the first call answers FreeSWITCH's INVITE; later ones are re-INVITEs */
  override async setRemoteSdp(sdp: string): Promise<void> {
    if (this.dialog) return super.setRemoteSdp(sdp);
    await this.early.answer(sdp);
    const dialog = await this.srf.createUAS(this.req, this.res, { localSdp: sdp });
    this.adoptDialog(dialog);
    if (this.released) hangUpQuietly(dialog);
  }

  protected override async doRelease(): Promise<void> {
    if (!this.gone && !this.dialog && !this.res.finalResponseSent) this.res.send(487);
    await super.doRelease();
  }
}

/**
 * Originated legs waiting for FreeSWITCH's INVITE to reach the gateway. The INVITE router
 * hands every INVITE that carries `X-WA-Leg-Id` from a media server to `claim()`.
 */
export class OriginateRegistry {
  /**
   * `legUser`: the Request-URI user of the legs' INVITEs; with several gateways on one
   * drachtio-server it names this instance, so drachtio-server's router hands the leg back
   * to it (src/cluster/call-router.ts)
   */
  constructor(private readonly legUser = 'wa-leg') {}

  private readonly pending = new Map<string, (req: Request, res: Response) => void>();

  async originate(ms: FsMediaServer, srf: Srf, profile: string, drachtioSip: string, vars: Record<string, string>): Promise<OriginatedLeg> {
    const legId = randomUUID();
    const uuid = randomUUID();
    // early media ends the job too: a leg answered with a 183 (holdEarly) is bridged while the far side rings.
    // IGNORE_MARK_BIT: FreeSWITCH flushes the read buffer after a packet with the marker bit, so the packet
    // behind the far side's first one (the start of what it says at answer) would be dropped (switch_rtp.c)
    const channelVars = { ...vars, origination_uuid: uuid, 'sip_h_X-WA-Leg-Id': legId, originate_timeout: '300', rtp_manual_rtp_bugs: 'IGNORE_MARK_BIT' };
    const varString = Object.entries(channelVars).map(([k, v]) => `${k}=${v}`).join(',');
    const arrived = new Promise<{ req: Request; res: Response }>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(legId);
        reject(new Error('FreeSWITCH did not originate the leg in time'));
      }, OFFER_TIMEOUT_MS);
      this.pending.set(legId, (req, res) => {
        clearTimeout(timer);
        resolve({ req, res });
      });
    });
    // the job ends when our 183 or the far side's answer has reached FreeSWITCH and the channel is parked
    const originated = new Promise<void>((resolve, reject) => {
      ms.conn.bgapi(`originate {${varString}}sofia/${profile}/sip:${this.legUser}@${drachtioSip} &park()`, (evt) => {
        const body = evt.getBody().trim();
        if (body.startsWith('+OK')) resolve();
        else reject(new Error(`originate: ${body}`));
      });
    });
    originated.catch(() => undefined); // a leg released before its answer: nobody waits
    const { req, res } = await arrived;
    return new OriginatedLeg(ms, srf, uuid, req, res, originated);
  }

  /** true if the INVITE was a leg we asked for (it is then taken care of) */
  claim(legId: string, req: Request, res: Response): boolean {
    const take = this.pending.get(legId);
    if (!take) return false;
    this.pending.delete(legId);
    take(req, res);
    return true;
  }
}
