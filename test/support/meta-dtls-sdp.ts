/** Meta's DTLS offer as in the SIP guide's trace: a=ice-lite at session level, BUNDLE, rtcp-mux, actpass */
export const META_DTLS_OFFER = [
  'v=0', 'o=- 1741113186367 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=group:BUNDLE audio', 'a=msid-semantic: WMS 632a909f', 'a=ice-lite',
  'm=audio 3480 UDP/TLS/RTP/SAVPF 111 126', 'c=IN IP4 57.144.135.35', 'a=rtcp:9 IN IP4 0.0.0.0',
  'a=candidate:1775469887 1 udp 2122260223 57.144.135.35 3480 typ host generation 0 network-cost 50',
  'a=ice-ufrag:RmDDkfzkwbexPfbC', 'a=ice-pwd:abcdefghijklmnopqrstuvwx',
  'a=fingerprint:sha-256 AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89',
  'a=setup:actpass', 'a=mid:audio', 'a=sendrecv', 'a=rtcp-mux', 'a=rtpmap:111 opus/48000/2', 'a=rtpmap:126 telephone-event/8000', 'a=ptime:20', '',
].join('\r\n');
