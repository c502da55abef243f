import { describe, expect, it } from 'vitest';
import { REJECTIONS } from '../../../src/sip/errors';
import { ALLOW, checkExtensions, classifyMethod, outOfDialogAnswer, unsupportedOptionTags, uriScheme } from '../../../src/sip/request-rules';

function req(method: string, uri: string, headers: Record<string, string> = {}) {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { method, uri, get: (name: string) => lower[name.toLowerCase()] };
}

const statusOf = (r: ReturnType<typeof outOfDialogAnswer>) => (r === 'ok' ? 200 : REJECTIONS[r.code].status);

describe('RFC 3261 §8.2 request checks', () => {
  it('classifies methods case-sensitively', () => {
    expect(classifyMethod('INVITE')).toBe('invite');
    expect(classifyMethod('OPTIONS')).toBe('options');
    for (const m of ['REGISTER', 'SUBSCRIBE', 'NOTIFY', 'PUBLISH', 'MESSAGE', 'PRACK']) expect(classifyMethod(m)).toBe('not-allowed');
    for (const m of ['INFO', 'UPDATE', 'REFER', 'BYE', 'CANCEL']) expect(classifyMethod(m)).toBe('dialog-only');
    // RFC 4475 §3.1.1.2 and §3.1.1.5: an unusual method, and REGISTER escaped, are unknown methods
    expect(classifyMethod("!interesting-Method0123456789_*+`.%indeed'~")).toBe('unknown');
    expect(classifyMethod('RE%47IST%45R')).toBe('unknown');
    expect(classifyMethod('invite')).toBe('unknown');
    expect(classifyMethod('constructor')).toBe('unknown');
  });

  it('reads the Request-URI scheme', () => {
    expect(uriScheme('sip:+12145551869@gw.example.com;transport=tls')).toBe('sip');
    expect(uriScheme('SIPS:user@example.com')).toBe('sips');
    expect(uriScheme('tel:+12145551869')).toBe('tel');
    expect(uriScheme('nobodyKnowsThisScheme:totallyopaquecontent')).toBe('nobodyknowsthisscheme');
    expect(uriScheme('soap.beep://192.0.2.103:3002')).toBe('soap.beep');
    expect(uriScheme('<sip:user@example.com>')).toBeNull();
    expect(uriScheme('')).toBeNull();
  });

  it('lists the Require option-tags we do not support (all of them), once each', () => {
    expect(unsupportedOptionTags(undefined)).toEqual([]);
    expect(unsupportedOptionTags('')).toEqual([]);
    expect(unsupportedOptionTags('nothingSupportsThis, nothingSupportsThisEither')).toEqual(['nothingSupportsThis', 'nothingSupportsThisEither']);
    expect(unsupportedOptionTags('100rel,timer,100rel')).toEqual(['100rel', 'timer']);
  });

  it('answers a bad scheme with 416, an unknown Require with 420 and an Unsupported header, a URI without a scheme with 400', () => {
    expect(checkExtensions(req('INVITE', 'sip:+12145551869@gw.test'))).toBeNull();
    expect(checkExtensions(req('INVITE', 'sips:+12145551869@gw.test', { Supported: 'timer, path, replaces' }))).toBeNull();
    expect(checkExtensions(req('INVITE', 'tel:+12145551869'))?.code).toBe('UNSUPPORTED_URI_SCHEME');
    expect(checkExtensions(req('OPTIONS', 'soap.beep://192.0.2.103:3002'))?.code).toBe('UNSUPPORTED_URI_SCHEME');
    expect(checkExtensions(req('INVITE', '<sip:user@example.com>'))?.code).toBe('BAD_REQUEST_URI_SYNTAX');
    const bext = checkExtensions(req('OPTIONS', 'sip:user@example.com', { Require: 'nothingSupportsThis, nothingSupportsThisEither' }));
    expect(bext).toMatchObject({ code: 'BAD_EXTENSION', headers: { Unsupported: 'nothingSupportsThis, nothingSupportsThisEither' } });
    // §8.2.2 order: the Request-URI is checked before Require
    expect(checkExtensions(req('INVITE', 'tel:+1', { Require: 'foo' }))?.code).toBe('UNSUPPORTED_URI_SCHEME');
    expect(REJECTIONS.UNSUPPORTED_URI_SCHEME.status).toBe(416);
    expect(REJECTIONS.BAD_EXTENSION.status).toBe(420);
    expect(REJECTIONS.BAD_REQUEST_URI_SYNTAX.status).toBe(400);
  });

  it('answers requests outside a dialog in RFC 3261 §8.2 order: method, then Request-URI and Require, then the method', () => {
    expect(outOfDialogAnswer(req('OPTIONS', 'sip:gw.test'))).toBe('ok');
    expect(statusOf(outOfDialogAnswer(req('OPTIONS', 'sip:gw.test', { Require: 'foo' })))).toBe(420);
    expect(statusOf(outOfDialogAnswer(req('OPTIONS', 'nobodyKnowsThisScheme:totallyopaquecontent')))).toBe(416);
    const register = outOfDialogAnswer(req('REGISTER', 'sip:gw.test'));
    expect(register).toMatchObject({ code: 'METHOD_NOT_ALLOWED', headers: { Allow: ALLOW } });
    expect(statusOf(register)).toBe(405);
    // the method comes first: an unknown scheme on a REGISTER is still 405, on an unknown method 501
    expect(statusOf(outOfDialogAnswer(req('REGISTER', 'tel:+1')))).toBe(405);
    expect(statusOf(outOfDialogAnswer(req('NEWMETHOD', 'tel:+1')))).toBe(501);
    expect(statusOf(outOfDialogAnswer(req('INFO', 'sip:gw.test')))).toBe(481);
    expect(statusOf(outOfDialogAnswer(req('INFO', 'sip:gw.test', { Require: 'foo' })))).toBe(420);
    expect(statusOf(outOfDialogAnswer(req('MESSAGE', 'sip:kumiko@example.org')))).toBe(405);
  });

  it('Allow names what the gateway takes, and none of what it answers 405', () => {
    const allowed = ALLOW.split(',').map((m) => m.trim());
    expect(allowed).toEqual(expect.arrayContaining(['INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS']));
    for (const m of allowed) expect(classifyMethod(m)).not.toBe('not-allowed');
  });
});
