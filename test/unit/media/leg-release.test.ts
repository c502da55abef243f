import { EventEmitter } from 'node:events';
import type Srf from 'drachtio-srf';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FsDialogLeg } from '../../../src/media/fs-dialog-leg';
import type { FsMediaServer } from '../../../src/media/fsmrf-types';

/**
 * Releasing a FreeSWITCH leg (fs-dialog-leg.ts doRelease), against a fake event socket and a
 * fake dialog: our BYE, uuid_kill when the BYE goes unanswered, and the report of a channel
 * FreeSWITCH keeps even then (seen under overload: a stuck thread of FreeSWITCH's).
 */

/** a leg with a dialog whose BYE gets an answer (`byeAnswered`) or none */
class Leg extends FsDialogLeg {
  constructor(ms: FsMediaServer, byeAnswered: boolean) {
    super(ms, 'leg-uuid');
    const dialog = Object.assign(new EventEmitter(), {
      connected: true,
      destroy: (_opts: unknown, cb: (err?: Error) => void) => { if (byeAnswered) setImmediate(() => cb()); },
    });
    this.adoptDialog(dialog as unknown as Srf.Dialog);
  }

  get localSdp(): string {
    return '';
  }
}

/** FreeSWITCH's channel list (`show channels like`) with the leg still on it, as a stuck channel is */
const LISTED = 'uuid,direction,created,created_epoch,name,state\nleg-uuid,inbound,2026-12-02 15:56:37,1796226997,sofia/drachtio_mrf/nobody@127.0.0.1:15060,CS_EXCHANGE_MEDIA\n\n1 total.\n';
const NOT_LISTED = 'uuid,direction,created,created_epoch,name,state\n\n0 total.\n';

/** FreeSWITCH's event socket: the commands it got; `list` is what `show channels like` answers */
function fakeServer(commands: string[], list: string) {
  return { api: async (cmd: string) => { commands.push(cmd); return cmd.startsWith('show channels like') ? list : '+OK'; } } as unknown as FsMediaServer;
}

describe('releasing a FreeSWITCH leg', () => {
  beforeEach(() => { vi.useFakeTimers(); });
  afterEach(() => { vi.useRealTimers(); });

  /** release a leg, the clock run past every timeout; the commands sent and whether it was reported stuck */
  async function release(byeAnswered: boolean, list: string) {
    const commands: string[] = [];
    const leg = new Leg(fakeServer(commands, list), byeAnswered);
    let stuck = 0;
    let closed = 0;
    leg.whenStuck(() => stuck++);
    leg.whenClosed(() => closed++);
    const done = leg.release();
    await vi.runAllTimersAsync();
    await done;
    return { commands, stuck, closed };
  }

  it('a BYE that is answered is all it takes', async () => {
    expect(await release(true, LISTED)).toEqual({ commands: [], stuck: 0, closed: 1 });
  });

  it('an unanswered BYE is followed by uuid_kill; a channel gone from the list after it is not reported', async () => {
    expect(await release(false, NOT_LISTED)).toEqual({ commands: ['uuid_kill leg-uuid', 'show channels like leg-uuid'], stuck: 0, closed: 1 });
  });

  it('a channel FreeSWITCH still lists after the unanswered BYE and uuid_kill is reported stuck', async () => {
    expect(await release(false, LISTED)).toEqual({ commands: ['uuid_kill leg-uuid', 'show channels like leg-uuid'], stuck: 1, closed: 1 });
  });

  it('a channel listed only as another one\'s bridge partner is not this one', async () => {
    const other = LISTED.replace('\nleg-uuid,', '\nother-uuid,').replace('CS_EXCHANGE_MEDIA', 'CS_SOFT_EXECUTE,uuid_bridge,leg-uuid');
    expect((await release(false, other)).stuck).toBe(0);
  });
});
