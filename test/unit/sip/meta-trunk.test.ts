import { describe, expect, it } from 'vitest';
import { callerNumber, metaValuesAsHeaders, parseMetaRequestUri, wacidOf } from '../../../src/sip/meta-trunk';

describe("Meta's Request-URI and headers", () => {
  it('reads the business number and RFC 4904 user params', () => {
    expect(parseMetaRequestUri('sip:+1234567890;tgrp=wacall;trunk-context=byoc.example.com@sip.example.com;transport=tls')).toEqual({
      number: '+1234567890', userParams: { tgrp: 'wacall', 'trunk-context': 'byoc.example.com' },
    });
    expect(parseMetaRequestUri('sip:+12145551869@meta-voip.example.com;transport=tls')?.number).toBe('+12145551869');
    expect(parseMetaRequestUri('sip:alice@example.com')).toBeNull();
    expect(parseMetaRequestUri('garbage')).toBeNull();
  });

  it('takes the caller from From and the wacid from the header or the Call-ID', () => {
    expect(callerNumber('"12195550714" <sip:+12195550714@wa.meta.vc>;tag=abc')).toBe('+12195550714');
    expect(callerNumber('<sip:anonymous@wa.meta.vc>')).toBeNull();
    expect(wacidOf('outgoing:wacid.HBgLMTIxOTU1NTA3MTQVAgASGCA', undefined)).toBe('HBgLMTIxOTU1NTA3MTQVAgASGCA');
    expect(wacidOf('outgoing:wacid.X', 'fromheader')).toBe('fromheader');
    expect(wacidOf('abc@host', undefined)).toBeNull();
  });

  it("hands Meta's x-wa-meta-* values and trunk-group params to the PBX, stripped of CR/LF", () => {
    const h = metaValuesAsHeaders(
      { 'x-wa-meta-wacid': 'W1', 'x-wa-meta-cta-payload': 'promo\r\nInjected: yes', 'user-agent': 'Facebook SipGateway' },
      { tgrp: 'wacall', 'trunk-context': 'byoc.example.com' },
      'X-WA-',
    );
    expect(h).toEqual({ 'X-WA-Wacid': 'W1', 'X-WA-Cta-Payload': 'promo Injected: yes', 'X-WA-Tgrp': 'wacall', 'X-WA-Trunk-Context': 'byoc.example.com' });
  });
});
