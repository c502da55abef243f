import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load';
import { parseNgAddress } from '../../../src/config/ng-address';
import { configWriter } from '../../support/config-fixtures';

/** numbers[].srtp and the rtpengine section (issue 11): defaults and what is taken */
const write = configWriter('wa-gw-rtpengine-');
type Doc = Record<string, unknown>;
const load = (extra: Doc, number: Doc = {}) => loadConfig([write('gateway.yaml', stringify({
  http: { port: 0 },
  drachtio: { host: '127.0.0.1', port: 1, secret_env: 'DR_PW' },
  freeswitch: [{ host: '127.0.0.1', port: 2, secret_env: 'FS_PW' }],
  meta: { hostname: 'sip.example.com' },
  numbers: [{ number: '+12145551869', sip_password_env: 'META_PW', pbx: 'main', destination: '1001', ...number }],
  pbxs: [{ name: 'main', host: '10.0.0.5' }],
  ...extra,
}))], { DR_PW: 'dr', FS_PW: 'fs', META_PW: 'meta' });

describe('DTLS config', () => {
  it("defaults to today's behaviour: SDES numbers, no rtpengine", () => {
    const cfg = load({});
    expect(cfg.numbers[0]!.srtp).toBe('sdes');
    expect(cfg.rtpengine).toEqual({ address: '', timeout_ms: 1000, ping_interval_ms: 1000, meta_interface: '', freeswitch_interface: '' });
  });

  it('takes a DTLS number and an rtpengine with interface names', () => {
    const cfg = load({ rtpengine: { address: '[::1]:22222', meta_interface: 'pub', freeswitch_interface: 'priv', timeout_ms: 500 } }, { srtp: 'dtls' });
    expect(cfg.numbers[0]!.srtp).toBe('dtls');
    expect(cfg.rtpengine).toMatchObject({ address: '[::1]:22222', meta_interface: 'pub', freeswitch_interface: 'priv', timeout_ms: 500 });
  });

  it('reads ng addresses as host:port, IPv6 in brackets', () => {
    expect(parseNgAddress('127.0.0.1:22222')).toEqual({ host: '127.0.0.1', port: 22222 });
    expect(parseNgAddress('[::1]:2223')).toEqual({ host: '::1', port: 2223 });
    expect(parseNgAddress('rtpengine.internal:22222')).toEqual({ host: 'rtpengine.internal', port: 22222 });
    for (const bad of ['', '127.0.0.1', '::1:22222', '[nope]:1', 'host:0', 'host:70000', 'a b:1']) expect(parseNgAddress(bad), bad).toBeNull();
  });
});
