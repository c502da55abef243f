import type Srf from 'drachtio-srf';
import type { FsMediaServer } from './fsmrf-types';
import { FsDialogLeg } from './fs-dialog-leg';

/**
 * A FreeSWITCH leg that answers the far end's offer (Meta's SDES Opus offer, or the PBX's):
 * drachtio INVITEs FreeSWITCH with that offer, the dialplan (docker/freeswitch) answers and
 * parks the channel, and puts the channel's uuid in the 200 OK (`X-WA-Uuid`) so the gateway
 * can bridge it. FreeSWITCH's SDP answer is our answer to the far end.
 *
 * This replaces fsmrf's endpoint, which opened an outbound event socket per channel: a TCP
 * connection, a 9 kB channel dump and three command round trips on every call set-up.
 */
export class AnsweringLeg extends FsDialogLeg {
  private constructor(ms: FsMediaServer, id: string, dialog: Srf.Dialog) {
    super(ms, id);
    this.adoptDialog(dialog);
  }

  /** FreeSWITCH's answer (the dialog's remote side), updated by each re-INVITE */
  get localSdp(): string {
    return this.dialog?.remote.sdp ?? '';
  }

  /**
   * INVITE FreeSWITCH with `offer`; `headers` become channel variables in its dialplan. `at`:
   * the SIP address of another of its profiles (the IPv6 one), else the server's own profile.
   */
  static async create(ms: FsMediaServer, offer: string, headers: Record<string, string>, at?: string): Promise<AnsweringLeg> {
    const address = at ?? ms.sip.ipv4.udp.address;
    if (!address) throw new Error('media server has no SIP address yet');
    const dialog = await ms.srf.createUAC(`sip:wa-answer@${address}`, { headers, localSdp: offer });
    const uuid = (dialog as unknown as { res: Srf.SrfResponse }).res.get('X-WA-Uuid');
    if (!uuid) {
      dialog.destroy(undefined, () => undefined);
      throw new Error('FreeSWITCH answered without X-WA-Uuid: is docker/freeswitch/freeswitch.xml its dialplan?');
    }
    return new AnsweringLeg(ms, uuid, dialog);
  }
}
