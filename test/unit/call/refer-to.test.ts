import { describe, expect, it } from 'vitest';
import { countValues, parseReferTo } from '../../../src/call/refer-to';

describe('Refer-To (RFC 3515 §2.1)', () => {
  it('reads a name-addr with display name, port, parameters and escaped headers', () => {
    expect(parseReferTo('"Sales Desk" <sip:1002@PBX.example.com:5070;transport=tcp?Replaces=a%40b%3Bto-tag%3D1&X-Foo=bar>;x=1')).toEqual({
      scheme: 'sip', user: '1002', host: 'pbx.example.com', port: 5070, params: { transport: 'tcp' },
      headers: { replaces: 'a@b;to-tag=1', 'x-foo': 'bar' },
    });
  });

  it('reads an addr-spec: what follows ";" belongs to the header, not the URI', () => {
    expect(parseReferTo('sip:1002@10.0.0.5;x=1')).toMatchObject({ user: '1002', host: '10.0.0.5', port: null, params: {} });
  });

  it('reads an IPv6 host without its brackets, and an escaped user', () => {
    expect(parseReferTo('<sip:%2B4420@[::1]:5060>')).toMatchObject({ user: '+4420', host: '::1', port: 5060 });
  });

  it('reads a URI without a user part and a tel: URI', () => {
    expect(parseReferTo('<sip:pbx.example.com>')).toMatchObject({ user: '', host: 'pbx.example.com' });
    expect(parseReferTo('<tel:+441234567890>')).toMatchObject({ scheme: 'tel' });
  });

  it('refuses what is no URI, a broken escape and a bracket that is no IPv6 address', () => {
    expect(parseReferTo('<not a uri>')).toBeNull();
    expect(parseReferTo('')).toBeNull();
    expect(parseReferTo('<sip:10%ZZ@pbx>')).toBeNull();
    expect(parseReferTo('<sip:1002@[pbx]>')).toBeNull();
  });

  it('counts values in a comma-joined header, commas inside <> and quotes aside', () => {
    expect(countValues('')).toBe(0);
    expect(countValues('<sip:1002@pbx?X=a,b>')).toBe(1);
    expect(countValues('"Doe, John" <sip:1002@pbx>')).toBe(1);
    expect(countValues('<sip:1002@pbx>, <sip:1003@pbx>')).toBe(2);
  });
});
