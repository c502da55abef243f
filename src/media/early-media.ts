import type Srf from 'drachtio-srf';
import { earlyAnswer } from '../sdp/early-answer';
import { withTimeout } from '../util/time';
import type { FsMediaServer } from './fsmrf-types';

/** how long the far side's answer may wait for the auto-adjust setting below */
const SETTING_WAIT_MS = 1000;
const SDP = { 'Content-Type': 'application/sdp' };

/**
 * FreeSWITCH's offering leg held in early media while the far side rings, so that it can be
 * bridged before the far side answers (fs-dialog-leg.ts bridgeEarly) and what the far side
 * sends with its 200 OK is not lost to the bridge starting (issue 9: 100-140 ms of a tone was).
 *
 * What this relies on, from FreeSWITCH 1.10's source:
 * - a 183 with SDP ends an originate that does not ignore early media, with the leg's RTP
 *   running and RTP auto-adjust armed, so packets are taken from any source until one comes
 *   from the SDP's address (sofia.c nua_callstate_proceeding; switch_rtp.c rtp_common_read);
 * - the SDP of a 200 OK that follows a 183 with SDP is not applied, but a second 183 with a
 *   new SDP is (renegotiated, the remote address changed): the real answer goes in a 183 first;
 * - re-arming auto-adjust flushes the RTP read buffer (switch_rtp.c switch_rtp_set_flag), and
 *   FreeSWITCH re-arms it when the leg is answered (switch_core_media_check_autoadj) and when
 *   its remote address changes (switch_core_media_activate_rtp): either would drop what the
 *   far side sent with its 200 OK. `disable_rtp_auto_adjust`, set once RTP is running, stops
 *   the re-arming and leaves the armed auto-adjust as it is (a far side behind NAT is still
 *   followed to where its packets come from; a later re-INVITE to a new address is not).
 */
export class EarlyMedia {
  private setting: Promise<unknown> | null = null;

  constructor(private readonly ms: FsMediaServer, private readonly uuid: string, private readonly res: Srf.SrfResponse) {}

  /** answer `offer` with a stand-in in a 183; false if it has none (then nothing is sent) */
  hold(offer: string, originated: Promise<void>): boolean {
    const sdp = earlyAnswer(offer);
    if (!sdp) return false;
    this.res.send(183, 'Session Progress', { body: sdp, headers: SDP });
    // the originate job ends once the 183 has reached FreeSWITCH: RTP is running, auto-adjust armed
    this.setting = originated.then(() => this.ms.api(`uuid_setvar ${this.uuid} disable_rtp_auto_adjust true`)).catch(() => undefined);
    return true;
  }

  /** the far side's answer in a 183, ahead of the 200 OK that carries it too; nothing if the leg was not held */
  async answer(sdp: string): Promise<void> {
    if (!this.setting) return;
    await withTimeout(this.setting, SETTING_WAIT_MS, undefined);
    this.res.send(183, 'Session Progress', { body: sdp, headers: SDP });
  }
}
