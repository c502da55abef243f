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

/** FreeSWITCH's event socket: the commands it got; `exists` is what uuid_exists answers */
function fakeServer(commands: string[], exists: string) {
  return { api: async (cmd: string) => { commands.push(cmd); return cmd.startsWith('uuid_exists') ? exists : '+OK'; } } as unknown as FsMediaServer;
}

describe('releasing a FreeSWITCH leg', () => {
  beforeEach(() => { vi.useFakeTimers(); });
  afterEach(() => { vi.useRealTimers(); });

  /** release a leg, the clock run past every timeout; the commands sent and whether it was reported stuck */
  async function release(byeAnswered: boolean, exists: string) {
    const commands: string[] = [];
    const leg = new Leg(fakeServer(commands, exists), byeAnswered);
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
    expect(await release(true, 'true')).toEqual({ commands: [], stuck: 0, closed: 1 });
  });

  it('an unanswered BYE is followed by uuid_kill; a channel gone after it is not reported', async () => {
    expect(await release(false, 'false')).toEqual({ commands: ['uuid_kill leg-uuid', 'uuid_exists leg-uuid'], stuck: 0, closed: 1 });
  });

  it('a channel FreeSWITCH keeps after the unanswered BYE and uuid_kill is reported stuck', async () => {
    expect(await release(false, 'true')).toEqual({ commands: ['uuid_kill leg-uuid', 'uuid_exists leg-uuid'], stuck: 1, closed: 1 });
  });
});
