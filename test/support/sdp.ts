import { isIPv6 } from 'node:net';

/** SDP bodies shaped after the traces in meta-docs (Meta's SDES offer) and a plain PBX answer. */

/** the SDP address type of `ip` (RFC 8866 §5.7) */
const ipFamily = (ip: string) => (isIPv6(ip) ? 'IP6' : 'IP4');

export function metaOffer(o: { ip: string; port: number; keyB64: string; opusPt?: number; dtmfPt?: number }): string {
  const opus = o.opusPt ?? 111;
  const dtmf = o.dtmfPt ?? 126;
  return [
    'v=0',
    'o=- 1750716867913 2 IN IP4 127.0.0.1',
    's=-',
    't=0 0',
    'a=group:BUNDLE audio',
    'a=msid-semantic: WMS 4e37b099-8aef-45d0-be4f-1cde2ca5a37d',
    `m=audio ${o.port} RTP/SAVP ${opus} ${dtmf}`,
    `c=IN ${ipFamily(o.ip)} ${o.ip}`,
    'a=rtcp:9 IN IP4 0.0.0.0',
    'a=mid:audio',
    'a=sendrecv',
    'a=msid:4e37b099-8aef-45d0-be4f-1cde2ca5a37d WhatsAppTrack1',
    'a=rtcp-mux',
    `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${o.keyB64}`,
    `a=rtpmap:${opus} opus/48000/2`,
    `a=fmtp:${opus} maxaveragebitrate=20000;maxplaybackrate=16000;minptime=20;sprop-maxcapturerate=16000;useinbandfec=1`,
    `a=rtpmap:${dtmf} telephone-event/8000`,
    'a=maxptime:20',
    'a=ptime:20',
    'a=ssrc:215879358 cname:WhatsAppAudioStream1',
    '',
  ].join('\r\n');
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
