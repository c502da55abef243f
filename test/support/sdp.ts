import { metaOffer as metaSdesOffer } from '../../src/testcall/meta-sdp';

/** SDP bodies shaped after the traces in meta-docs (Meta's SDES offer) and a plain PBX answer. */

/** Meta's SDES offer (src/testcall/meta-sdp.ts) as in the traces: their stream id, origin line and SSRC */
export function metaOffer(o: { ip: string; port: number; keyB64: string; opusPt?: number; dtmfPt?: number }): string {
  return metaSdesOffer({ ...o, ssrc: 215879358, origin: { sessionId: '1750716867913', ip: '127.0.0.1' }, msid: '4e37b099-8aef-45d0-be4f-1cde2ca5a37d' });
}

export function pbxSdp(o: { ip: string; port: number; codecs?: { pt: number; name: string }[]; dtmfPt?: number; direction?: string; cryptoKeyB64?: string }): string {
  const codecs = o.codecs ?? [{ pt: 0, name: 'PCMU/8000' }];
  const dtmf = o.dtmfPt ?? 101;
  return [
    'v=0',
    `o=pbx 4242 4242 IN IP4 ${o.ip}`,
    's=pbx',
    `c=IN IP4 ${o.ip}`,
    't=0 0',
    `m=audio ${o.port} ${o.cryptoKeyB64 ? 'RTP/SAVP' : 'RTP/AVP'} ${codecs.map((c) => c.pt).join(' ')} ${dtmf}`,
    ...(o.cryptoKeyB64 ? [`a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${o.cryptoKeyB64}`] : []),
    ...codecs.map((c) => `a=rtpmap:${c.pt} ${c.name}`),
    `a=rtpmap:${dtmf} telephone-event/8000`,
    `a=fmtp:${dtmf} 0-16`,
    'a=ptime:20',
    `a=${o.direction ?? 'sendrecv'}`,
    '',
  ].join('\r\n');
}

/** the audio connection address and port of an SDP */
export function mediaTarget(sdp: string): { ip: string; port: number } {
  const ip = /^c=IN IP[46] (\S+)/m.exec(sdp)?.[1];
  const port = /^m=audio (\d+)/m.exec(sdp)?.[1];
  if (!ip || !port) throw new Error(`no audio target in SDP:\n${sdp}`);
  return { ip, port: Number(port) };
}
