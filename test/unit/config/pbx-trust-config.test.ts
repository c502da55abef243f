import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config/load';
import { configWriter } from '../../support/config-fixtures';

const file = configWriter('wa-gw-pbx-trust-');
const ENV = { META_PW: 'm', DR_PW: 'd', FS_PW: 'f', PBX_IN: 'p' };

const yaml = (pbx: string) => `
drachtio: { secret_env: DR_PW }
freeswitch: [{ host: 127.0.0.1, secret_env: FS_PW }]
meta: { hostname: sip.example.com }
numbers:
  - { number: "+12145551869", sip_password_env: META_PW, pbx: main, destination: "1001" }
  - { number: "+12145550000", sip_password_env: META_PW, pbx: main, destination: "1002" }
pbxs:
  - name: main
    host: 192.0.2.10
${pbx}`;

function errorOf(text: string): string {
  const f = file('c.yaml', text);
  try {
    loadConfig([f], ENV);
  } catch (err) {
    if (err instanceof ConfigError) return err.message.replace(`${f}: `, '');
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('PBX trust keys in the config', () => {
  it('trust_udp_source and business_numbers default to off and empty, and load when set', () => {
    const plain = loadConfig([file('a.yaml', yaml(''))], ENV).pbxs[0]!;
    expect(plain).toMatchObject({ trust_udp_source: false, business_numbers: [] });
    const set = loadConfig([file('b.yaml', yaml('    trust_udp_source: true\n    business_numbers: ["+12145550000"]\n'))], ENV).pbxs[0]!;
    expect(set).toMatchObject({ trust_udp_source: true, business_numbers: ['+12145550000'] });
  });

  it('business_numbers naming a number that is not configured: pbxs[0].business_numbers', () => {
    expect(errorOf(yaml('    business_numbers: ["+19995550000"]\n'))).toBe('pbxs[0].business_numbers: +19995550000 is not one of the numbers');
  });

  it('trust_udp_source beside inbound_auth (it would do nothing): pbxs[0].trust_udp_source', () => {
    expect(errorOf(yaml('    trust_udp_source: true\n    inbound_auth: { username: pbx, password_env: PBX_IN }\n')))
      .toMatch(/^pbxs\[0\]\.trust_udp_source: has no effect with inbound_auth/);
  });

  it("a quoted or non-boolean trust_udp_source is refused (convict's Boolean would read \"no\" as true)", () => {
    expect(errorOf(yaml('    trust_udp_source: "no"\n'))).toBe('pbxs[0].trust_udp_source: must be true or false (unquoted): value was "no"');
    expect(errorOf(yaml('    trust_udp_source: 1\n'))).toBe('pbxs[0].trust_udp_source: must be true or false (unquoted): value was 1');
  });
});
