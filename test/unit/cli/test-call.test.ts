import { describe, expect, it } from 'vitest';
import { hostPort, outboundOptions, testCallOptions } from '../../../src/cli/test-call';
import { UsageError } from '../../../src/cli/output';
import { answeredMedia, metaOffer } from '../../../src/testcall/meta-sdp';
import { reportText, type TestCallReport } from '../../../src/testcall/report';
import { runCli } from './run-cli';

/** test-call's command line, Meta's SDP and the report text (the call itself: test/integration/test-call.test.ts) */
const ENV = { META_SIP_PASSWORD_12145551869: 'pw-from-env' };
const BASE = ['--gateway', 'sip.example.com:5061', '--number', '+12145551869'];

describe('test-call options', () => {
  it('takes the password from META_SIP_PASSWORD_<digits> and the servername from the gateway host', () => {
    const o = testCallOptions(BASE, ENV);
    expect(o).toMatchObject({ host: 'sip.example.com', port: 5061, servername: 'sip.example.com', password: 'pw-from-env', seconds: 8, toneHz: 600, dtmf: '1234', json: false });
    expect(testCallOptions([...BASE, '--password-env', 'OTHER'], { OTHER: 'x' }).password).toBe('x');
  });

  it('offers SDES unless --srtp dtls says the number is in DTLS mode at Meta', () => {
    expect(testCallOptions(BASE, ENV).srtp).toBe('sdes');
    expect(testCallOptions([...BASE, '--srtp', 'dtls'], ENV).srtp).toBe('dtls');
    expect(testCallOptions([...BASE, '--srtp', 'DTLS'], ENV).srtp).toBe('dtls');
  });

  it('parses IPv6 gateways and needs --servername for an address (the certificate carries the name)', () => {
    expect(hostPort('[::1]:5061')).toEqual({ host: '::1', port: 5061 });
    expect(() => hostPort('::1:5061')).toThrow(UsageError);
    expect(() => hostPort('host:0')).toThrow(UsageError);
    expect(() => testCallOptions(['--gateway', '192.0.2.1:5061', '--number', '+12145551869'], ENV)).toThrow('--servername NAME is required');
    expect(testCallOptions(['--gateway', '192.0.2.1:5061', '--servername', 'gw.example.com', '--number', '+12145551869'], ENV).servername).toBe('gw.example.com');
  });

  it.each([
    [['--gateway', 'sip.example.com:5061', '--number', '12145551869'], '--number must be E.164'],
    [[...BASE, '--from', '0044'], '--from must be E.164'],
    [[...BASE, '--seconds', '1'], '--seconds must be a whole number from 3'],
    [[...BASE, '--dtmf', '12x'], '--dtmf takes'],
    [[...BASE, '--local-address', 'meta-host'], '--local-address must be an IP address'],
    [[...BASE, '--ca', '/nonexistent/ca.pem'], 'cannot read --ca'],
    [[...BASE, '--outbound'], '--outbound takes --listen IP:PORT'],
    [[...BASE, '--srtp', 'zrtp'], '--srtp must be sdes or dtls'],
  ])('refuses %j', (args, message) => {
    expect(() => testCallOptions(args, ENV)).toThrow(message);
  });

  it('exits 2 without printing a password when the variable is not set, or with a bad option', async () => {
    const r = await runCli(['test-call', ...BASE], {});
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('environment variable META_SIP_PASSWORD_12145551869');
    expect((await runCli(['test-call', ...BASE, '--password', 'x'], ENV)).code).toBe(2);
  });
});

describe("Meta's SDP", () => {
  it('offers SDES Opus as Meta does and reads the answer back', () => {
    const offer = metaOffer({ ip: '127.0.0.10', port: 40000, keyB64: 'a'.repeat(40), ssrc: 42 });
    expect(offer).toMatch(/^m=audio 40000 RTP\/SAVP 111 126\r$/m);
    expect(offer).toContain('a=fmtp:111 maxaveragebitrate=20000;maxplaybackrate=16000;minptime=20;sprop-maxcapturerate=16000;useinbandfec=1');
    expect(offer).toContain('a=rtcp-mux');
    expect(answeredMedia(offer)).toEqual({ ip: '127.0.0.10', port: 40000, keyB64: 'a'.repeat(40), suite: 'AES_CM_128_HMAC_SHA1_80', profile: 'RTP/SAVP', opusPt: 111, dtmfPt: 126 });
    expect(answeredMedia('v=0\r\n')).toBe('the SDP answer has no audio stream with an address');
  });
});

describe('the report', () => {
  const base: TestCallReport = {
    gateway: 'gw:5061', number: '+12145551869', from: '+15555550100', callId: 'c1', tls: { ok: true, protocol: 'TLSv1.3' }, challenge: { status: 407, ms: 12 },
    final: { status: 200, reason: 'OK', warning: null }, to180Ms: 80, to183Ms: null, to200Ms: 400, recordRouteKept: true,
    media: { profile: 'RTP/SAVP', srtpSuite: 'AES_CM_128_HMAC_SHA1_80', keyExchange: { method: 'sdes', suite: 'AES_CM_128_HMAC_SHA1_80' }, opusPt: 111, dtmfPt: 126, packetsSent: 300, packetsReceived: 310, srtpAuthFailures: 0, firstPacketMs: -20 },
    toneHz: 600, heard: { levelDbfs: -15, otherTone: { hz: 1000, dbfs: -19 }, ownTone: { hz: 600, dbfs: -13 }, seconds: 5 },
    dtmf: { sent: '1234', cameBack: '1234' }, hangup: { by: 'test-call', afterMs: 6000, byeStatus: 200 }, route: { pbx: 'main', destination: '1001' },
    cdr: null, cdrNote: null, bothWays: true, problem: null,
  };

  it('says what passed, line by line', () => {
    const t = reportText(base);
    expect(t).toContain('challenge:            407 after 12 ms');
    expect(t).toContain('route:                main / 1001 (from the CDR)');
    expect(t).toContain('the first 20 ms before the 200 OK');
    expect(t).toContain('PBX -> WhatsApp:      yes: a 1000 Hz tone at -19 dBFS');
    expect(t).toContain('WhatsApp -> PBX:      yes: our 600 Hz tone came back at -13 dBFS');
    expect(t).toContain('DTMF:                 sent 1234; came back 1234');
    expect(t).toContain('key exchange:         SDES (a=crypto AES_CM_128_HMAC_SHA1_80)');
    expect(t.trimEnd().endsWith('result: PASS: audio flowed both ways')).toBe(true);
  });

  it('says which key exchange was used, and when DTLS completed or why not', () => {
    const dtls = { setup: 'active', completedMs: 18, failure: null, iceChecks: 4, iceControlling: true, useCandidate: true };
    const media = { ...base.media!, profile: 'UDP/TLS/RTP/SAVPF', srtpSuite: 'SRTP_AES128_CM_HMAC_SHA1_80' };
    const ok = reportText({ ...base, media: { ...media, keyExchange: { method: 'dtls', suite: 'SRTP_AES128_CM_HMAC_SHA1_80', dtls } } });
    expect(ok).toContain('key exchange:         DTLS-SRTP, the gateway a=setup:active; completed 18 ms after the 200 OK, SRTP_AES128_CM_HMAC_SHA1_80; 4 ICE checks from the gateway, controlling, nominated (USE-CANDIDATE)');
    const failed = reportText({ ...base, media: { ...media, keyExchange: { method: 'dtls', suite: null, dtls: { ...dtls, completedMs: null, failure: 'fingerprint mismatch', iceChecks: 0, iceControlling: false, useCandidate: false } } }, bothWays: false });
    expect(failed).toContain('key exchange:         DTLS-SRTP, the gateway a=setup:active; not completed: fingerprint mismatch; no ICE checks from the gateway');
  });

  it('says what failed, with a hint for the status', () => {
    const t = reportText({ ...base, final: { status: 403, reason: 'Forbidden', warning: null }, media: null, heard: null, dtmf: null, hangup: null, route: null, cdrNote: 'unknown', bothWays: false });
    expect(t).toContain('admission:            403 Forbidden');
    expect(t).toContain('hint:                 the gateway refused our credentials');
    expect(t).toContain('result: FAIL');
    const tls = reportText({ ...base, tls: { ok: false, error: 'self-signed certificate' }, media: null, heard: null, bothWays: false });
    expect(tls).toContain('TLS:                  failed: self-signed certificate');
    const echoless = reportText({ ...base, heard: { ...base.heard!, ownTone: null }, bothWays: false });
    expect(echoless).toContain('WhatsApp -> PBX:      not confirmed');
  });
});

describe('test-call --outbound options', () => {
  const certs = { cert: 'package.json', key: 'package.json' }; // any readable file: PEM is checked when the listener starts
  const OUT = ['--outbound', '--listen', '127.0.0.10:5061', '--cert', certs.cert, '--key', certs.key];

  it("looks the password up by the business number of the gateway's INVITE", () => {
    const o = outboundOptions(OUT, ENV);
    expect(o).toMatchObject({ host: '127.0.0.10', port: 5061, seconds: 8, waitMs: 120_000 });
    expect(o.passwordFor('+12145551869')).toBe('pw-from-env');
    expect(o.passwordFor('+12145550000')).toBeUndefined();
    expect(outboundOptions([...OUT, '--password-env', 'ONE'], { ONE: 'x' }).passwordFor('+12145550000')).toBe('x');
  });

  it('answers whichever key exchange the gateway offers, unless --srtp names one', () => {
    expect(outboundOptions(OUT, ENV).srtp).toBeUndefined();
    expect(outboundOptions([...OUT, '--srtp', 'dtls'], ENV).srtp).toBe('dtls');
    expect(() => outboundOptions([...OUT, '--srtp', 'dtls-srtp'], ENV)).toThrow('--srtp must be sdes or dtls');
  });

  it.each([
    [['--outbound', '--cert', 'package.json', '--key', 'package.json'], '--listen is required'],
    [['--outbound', '--listen', 'meta.example:5061', '--cert', 'package.json', '--key', 'package.json'], '--listen must be IP:PORT'],
    [['--outbound', '--listen', '127.0.0.10:5061', '--key', 'package.json'], '--cert is required'],
    [['--outbound', '--listen', '127.0.0.10:5061', '--cert', '/nonexistent.pem', '--key', 'package.json'], 'cannot read --cert'],
    [[...OUT, '--gateway', 'gw:5061'], '--gateway is for calls into the gateway'],
  ])('refuses %j', (args, message) => {
    expect(() => outboundOptions(args, ENV)).toThrow(message);
  });
});
