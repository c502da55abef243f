import { randomUUID } from 'node:crypto';
import { hangUpQuietly } from '../sip/srf-types';
import type { FsEndpoint, FsEndpointCtor, FsMediaServer } from './fsmrf-types';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const Endpoint = require('drachtio-fsmrf/lib/endpoint') as FsEndpointCtor;

/**
 * Create a FreeSWITCH endpoint that answers an SDES-SRTP offer (Meta's `RTP/SAVP` +
 * `a=crypto`) without answering the caller.
 *
 * fsmrf 4.1.2's `createEndpoint({remoteSdp})` asserts on any `SAVP` offer because it
 * assumes DTLS, and `connectCaller()` answers the caller at once, which would tell the
 * WhatsApp user the call connected while the PBX still rings. SDES needs no handshake, so
 * we do what `createEndpoint` does for a plain offer: INVITE FreeSWITCH with the offer
 * (the dialplan answers and opens the outbound event socket named by X-esl-outbound)
 * and pair that socket with the dialog through fsmrf's own pending-connection table.
 * fsmrf is pinned to 4.1.2 in package.json because this relies on those internals; the
 * integration suite exercises it against FreeSWITCH.
 */
export async function createEndpointForOffer(
  ms: FsMediaServer,
  offer: string,
  headers: Record<string, string>,
  timeoutMs = 4000,
): Promise<FsEndpoint> {
  const address = ms.sip.ipv4.udp.address;
  if (!address) throw new Error('media server has no SIP address yet');
  const id = randomUUID();
  ms.pendingConnections.set(id, {});
  let dialog;
  try {
    dialog = await ms.srf.createUAC(`sip:drachtio@${address}`, {
      headers: {
        ...headers,
        'User-Agent': `drachtio-fsmrf:${id}`,
        'X-esl-outbound': `${ms.advertisedAddress}:${ms.advertisedPort}`,
      },
      localSdp: offer,
    });
  } catch (err) {
    ms.pendingConnections.delete(id);
    throw err;
  }
  const pending = ms.pendingConnections.get(id) ?? {};
  return new Promise<FsEndpoint>((resolve, reject) => {
    const produce = (conn: unknown): void => {
      const ep = new Endpoint(conn, dialog, ms, {});
      ep.once('ready', () => resolve(ep));
    };
    if (pending.conn) {
      ms.pendingConnections.delete(id);
      produce(pending.conn);
      return;
    }
    pending.dialog = dialog;
    pending.fn = produce;
    pending.connTimeout = setTimeout(() => {
      ms.pendingConnections.delete(id);
      hangUpQuietly(dialog);
      reject(new Error('timeout waiting for the FreeSWITCH event socket'));
    }, timeoutMs);
  });
}
