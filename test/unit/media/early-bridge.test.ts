import { EventEmitter } from 'node:events';
import type Srf from 'drachtio-srf';
import { describe, expect, it } from 'vitest';
import { FsDialogLeg } from '../../../src/media/fs-dialog-leg';
import type { FsMediaServer } from '../../../src/media/fsmrf-types';
import { OriginatedLeg } from '../../../src/media/originated-leg';

/**
 * Bridging before the far side answers (issue 9, item 5), against a fake event socket and a
 * fake drachtio request/response: what goes to FreeSWITCH, in which order.
 */

const PLAIN_OFFER = 'v=0\r\no=FreeSWITCH 1 2 IN IP4 127.0.0.1\r\ns=FreeSWITCH\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 31912 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=ptime:20\r\n';
const SDES_OFFER = PLAIN_OFFER.replace('RTP/AVP', 'RTP/SAVP').replace('a=ptime:20', 'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:VistOgt3fEe+Qh9euup5eAjSBxahbYwPqXF32Kwf\r\na=ptime:20');
const PBX_ANSWER = 'v=0\r\no=pbx 4242 4242 IN IP4 127.0.0.20\r\ns=pbx\r\nc=IN IP4 127.0.0.20\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=ptime:20\r\n';

/** everything the legs did, in order: API commands and SIP responses */
type Step = { api: string } | { send: number; body?: string } | { createUAS: string };

function fakeServer(steps: Step[], answer: (cmd: string) => string = () => '+OK') {
  // api commands and background jobs (uuid_bridge) recorded alike, in the order they are sent
  const run = (cmd: string) => { steps.push({ api: cmd }); return answer(cmd); };
  return {
    api: async (cmd: string) => run(cmd),
    conn: { bgapi: (cmd: string, cb: (evt: { getBody(): string }) => void) => { const body = run(cmd); setImmediate(() => cb({ getBody: () => body })); } },
  } as unknown as FsMediaServer;
}

function fakeSip(steps: Step[], body: string) {
  const req = Object.assign(new EventEmitter(), { body });
  const res = { finalResponseSent: false, send: (status: number, _reason?: string, opts?: { body?: string }) => { steps.push({ send: status, body: opts?.body }); } };
  const dialog = Object.assign(new EventEmitter(), { connected: true, remote: { sdp: body }, destroy: () => undefined });
  const srf = { createUAS: async (_q: unknown, r: typeof res, o: { localSdp: string }) => { steps.push({ createUAS: o.localSdp }); r.finalResponseSent = true; return dialog; } };
  return { req: req as unknown as Srf.SrfRequest, res: res as unknown as Srf.SrfResponse, srf: srf as unknown as Srf };
}

/** the answering leg: a channel that is up (its own SIP set-up plays no part here) */
class UpLeg extends FsDialogLeg {
  constructor(ms: FsMediaServer, id: string) {
    super(ms, id);
  }

  get localSdp(): string {
    return '';
  }
}

/** an offering leg whose originate job ends when `finish()` is called */
function offeringLeg(steps: Step[], offer: string, answer?: (cmd: string) => string) {
  let finish!: () => void;
  const originated = new Promise<void>((r) => { finish = r; });
  const { req, res, srf } = fakeSip(steps, offer);
  const ms = fakeServer(steps, answer);
  return { leg: new OriginatedLeg(ms, srf, 'b-uuid', req, res, originated), ms, finish };
}

const settle = () => new Promise((r) => setImmediate(r));

/** the uuid_bridge commands among the steps */
const uuidBridges = (steps: Step[]) => steps.filter((s) => 'api' in s && s.api.startsWith('uuid_bridge'));

/** a plain RTP offering leg bridged early with an up leg, its originate over and the bridge done */
async function bridgedEarly() {
  const steps: Step[] = [];
  const b = offeringLeg(steps, PLAIN_OFFER);
  const a = new UpLeg(b.ms, 'a-uuid');
  a.bridgeEarly(b.leg);
  b.finish();
  await a.bridge(b.leg);
  return { steps, a, b };
}

describe('bridging before the far side answers', () => {
  it('holds a plain RTP offering leg in early media (a 183 with the stand-in), sets it up, then bridges while the far side rings', async () => {
    const steps: Step[] = [];
    const b = offeringLeg(steps, PLAIN_OFFER);
    const a = new UpLeg(b.ms, 'a-uuid');
    a.bridgeEarly(b.leg);
    await settle();
    expect(steps[0]).toMatchObject({ send: 183 });
    expect((steps[0] as { body: string }).body).toMatch(/^m=audio 9 RTP\/AVP 0 101$/m);
    // no uuid_bridge before FreeSWITCH's originate job is over
    expect(uuidBridges(steps)).toEqual([]);
    b.finish();
    await a.bridge(b.leg);
    expect(steps.slice(1)).toEqual([
      { api: 'uuid_setvar a-uuid bridge_generate_comfort_noise true' },
      { api: 'uuid_setvar b-uuid disable_rtp_auto_adjust true' },
      { api: 'uuid_bridge b-uuid a-uuid' },
    ]);
  });

  it('the first bridge() afterwards is the early bridge; a later one (a transfer putting the call back) bridges again', async () => {
    const { steps, a, b } = await bridgedEarly();
    expect(uuidBridges(steps)).toHaveLength(1);
    await b.leg.bridge(a);
    expect(uuidBridges(steps)).toHaveLength(2);
  });

  it('a bridge with a third leg ends the early bridge: it waits for the early uuid_bridge, and bridging back to the early peer is a new uuid_bridge', async () => {
    const steps: Step[] = [];
    const b = offeringLeg(steps, PLAIN_OFFER);
    const a = new UpLeg(b.ms, 'a-uuid');
    const c = new UpLeg(b.ms, 'c-uuid');
    a.bridgeEarly(b.leg);
    const toC = a.bridge(c);
    await settle();
    // the early uuid_bridge waits for b's originate job; the bridge with c waits for it
    expect(uuidBridges(steps)).toEqual([]);
    b.finish();
    await toC;
    await a.bridge(b.leg);
    expect(uuidBridges(steps)).toEqual([
      { api: 'uuid_bridge b-uuid a-uuid' },
      { api: 'uuid_bridge c-uuid a-uuid' },
      { api: 'uuid_bridge b-uuid a-uuid' },
    ]);
  });

  it('gives the far side\'s answer to FreeSWITCH in a 183 first, then in the 200 OK', async () => {
    const { steps, b } = await bridgedEarly();
    steps.length = 0;
    await b.leg.setRemoteSdp(PBX_ANSWER);
    expect(steps).toEqual([{ send: 183, body: PBX_ANSWER }, { createUAS: PBX_ANSWER }]);
  });

  it('leaves an SDES offering leg alone: no 183, the answer only in the 200 OK, uuid_bridge once it is answered', async () => {
    const steps: Step[] = [];
    const b = offeringLeg(steps, SDES_OFFER);
    const a = new UpLeg(b.ms, 'a-uuid');
    a.bridgeEarly(b.leg);
    await settle();
    expect(steps).toEqual([]);
    await b.leg.setRemoteSdp(PBX_ANSWER);
    b.finish();
    await a.bridge(b.leg);
    expect(steps).toEqual([{ createUAS: PBX_ANSWER }, { api: 'uuid_bridge b-uuid a-uuid' }]);
  });

  it('does nothing between two legs neither of which can be held', async () => {
    const steps: Step[] = [];
    const ms = fakeServer(steps);
    const a = new UpLeg(ms, 'a-uuid');
    a.bridgeEarly(new UpLeg(ms, 'c-uuid'));
    await settle();
    expect(steps).toEqual([]);
  });

  it('a refused early bridge shows in bridge()', async () => {
    const steps: Step[] = [];
    const b = offeringLeg(steps, PLAIN_OFFER, (cmd) => (cmd.startsWith('uuid_bridge') ? '-ERR no such channel' : '+OK'));
    const a = new UpLeg(b.ms, 'a-uuid');
    a.bridgeEarly(b.leg);
    b.finish();
    await expect(a.bridge(b.leg)).rejects.toThrow('uuid_bridge: -ERR no such channel');
  });

  it('sends no 183 for a leg already released', async () => {
    const steps: Step[] = [];
    const b = offeringLeg(steps, PLAIN_OFFER);
    await b.leg.release();
    const a = new UpLeg(b.ms, 'a-uuid');
    a.bridgeEarly(b.leg);
    await settle();
    expect(steps.filter((s) => 'send' in s && s.send === 183)).toEqual([]);
  });
});
