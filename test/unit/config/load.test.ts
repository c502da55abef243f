import { describe, expect, it } from 'vitest';
import { configWriter } from '../../support/config-fixtures';
import { ConfigError, loadConfig } from '../../../src/config/load';

const file = configWriter('wa-gw-config-');

const BASE = `
drachtio:
  secret_env: DR_PW
freeswitch:
  - host: 127.0.0.1
    secret_env: FS_PW
meta:
  hostname: sip.example.com
numbers:
  - number: "+12145551869"
    sip_password_env: META_PW
    pbx: main
    destination: "1001"
    routes:
      - when: { cta_payload: sales }
        pbx: main
        destination: "2001"
pbxs:
  - name: main
    host: pbx.example.com
    allow_sources: [192.0.2.10/32]
    codecs: [pcmu, PCMA]
`;
const ENV = { META_PW: 'secret-from-env', DR_PW: 'drachtio-from-env', FS_PW: 'fs-from-env' };

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('loads the example config shipped in config/ with its secrets from env', () => {
    const cfg = loadConfig(['config/gateway.yaml'], {
      DRACHTIO_SECRET: 'x', FS_ESL_PASSWORD: 'y', META_SIP_PASSWORD_12145551869: 'z', PBX_TRUNK_PASSWORD: 'w',
    });
    expect(cfg.numbers.length).toBeGreaterThan(0);
    expect(cfg.numbers[0]!.sip_password).toBe('z');
  });

  it('validates, applies defaults, resolves secrets, orders routes, freezes', () => {
    const cfg = loadConfig([file('ok.yaml', BASE)], ENV);
    expect(cfg.meta.auth_realm).toBe('sip.example.com');
    expect(cfg.meta.challenge_status).toBe(407);
    expect(cfg.meta.source_ranges).toContain('157.240.0.0/16');
    expect(cfg.numbers[0]!.sip_password).toBe('secret-from-env');
    expect(cfg.numbers[0]!.routes.map((r) => r.destination)).toEqual(['2001', '1001']);
    expect(cfg.pbxs[0]).toMatchObject({ port: 5060, transport: 'udp', codecs: ['PCMU', 'PCMA'], auth: null });
    expect(Object.isFrozen(cfg.numbers[0])).toBe(true);
  });

  it('names the file and key of an unknown key', () => {
    const e = errorOf(() => loadConfig([file('typo.yaml', `${BASE}\nmeta_typo: 1\n`)], ENV));
    expect(e.message).toMatch(/typo\.yaml: meta_typo: unknown key/);
  });

  it('names the list item of a bad value', () => {
    const bad = BASE.replace('"+12145551869"', '"12145551869"');
    const e = errorOf(() => loadConfig([file('num.yaml', bad)], ENV));
    expect(e.message).toMatch(/num\.yaml: numbers\[0\]\.number: must be an E\.164 number/);
    const e2 = errorOf(() => loadConfig([file('pbx.yaml', BASE.replace('host: pbx.example.com', 'host: pbx.example.com\n    colour: red'))], ENV));
    expect(e2.message).toMatch(/pbx\.yaml: pbxs\[0\]\.colour: unknown key/);
  });

  it('refuses a password written into the YAML, and a missing secret, naming the key', () => {
    const inline = BASE.replace('sip_password_env: META_PW', 'sip_password: hunter2');
    expect(errorOf(() => loadConfig([file('inline.yaml', inline)], ENV)).message).toMatch(/numbers\[0\]\.sip_password: unknown key/);
    const e = errorOf(() => loadConfig([file('nosecret.yaml', BASE)], {}));
    expect(e.message).toMatch(/nosecret\.yaml: numbers\[0\]\.sip_password_env: environment variable META_PW is not set/);
    expect(e.message).not.toContain('secret-from-env');
  });

  it('refuses a route to an unknown PBX and reports YAML syntax errors with a line', () => {
    const e = errorOf(() => loadConfig([file('route.yaml', BASE.replace('pbx: main\n    destination: "1001"', 'pbx: nowhere\n    destination: "1001"'))], ENV));
    expect(e.message).toMatch(/route\.yaml: numbers\[0\]\.pbx: no PBX named "nowhere"/);
    const s = errorOf(() => loadConfig([file('syntax.yaml', 'meta:\n  hostname: [unclosed\n')], ENV));
    expect(s.message).toMatch(/syntax\.yaml: line \d+: YAML syntax error/);
  });

  it('merges several files, later ones winning, and blames the file that set a bad key', () => {
    const over = file('override.yaml', 'meta:\n  challenge_status: 402\n');
    const e = errorOf(() => loadConfig([file('base.yaml', BASE), over], ENV));
    expect(e.message).toMatch(/override\.yaml: meta\.challenge_status/);
    const cfg = loadConfig([file('base2.yaml', BASE), file('o2.yaml', 'meta:\n  challenge_status: 401\n')], ENV);
    expect(cfg.meta.challenge_status).toBe(401);
    expect(cfg.meta.hostname).toBe('sip.example.com');
  });
});
