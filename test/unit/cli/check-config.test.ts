import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configWriter } from '../../support/config-fixtures';
import { runCli, spawnCli } from './run-cli';

const file = configWriter('wa-gw-cli-config-');

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
pbxs:
  - name: main
    host: pbx.example.com
    allow_sources: [192.0.2.10/32]
`;
const ENV = { META_PW: 'secret-from-env-77', DR_PW: 'drachtio-from-env', FS_PW: 'fs-from-env' };

describe('check-config', () => {
  it('a valid file: exit 0 with the summary, and no secret (spawned); a US number is warned about', async () => {
    const good = file('good.yaml', BASE);
    const r = await spawnCli(['check-config', good], ENV);
    expect(r.stderr).toBe('warning: business number +12145551869: Meta offers no business-initiated calling for numbers of the USA or Canada (+1); '
      + 'agent calls from it are refused with 403 (country_rule: refuse); calls to it work\n');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')).toEqual([
      `config OK: ${good}`,
      '  business numbers: 1 (+12145551869)',
      '  PBXs: 1 (main)',
      '  media servers: 1',
      '  Meta hostname: sip.example.com',
      '',
    ]);
    expect(r.stdout).not.toContain(ENV.META_PW);
  });

  it('names the numbers whose agent calls are checked against Meta\'s call permissions; a number of a country Meta serves is not warned about', async () => {
    const checked = BASE.replace('"+12145551869"', '"+442071230000"').replace('    destination: "1001"\n', '    destination: "1001"\n    call_permissions: { phone_number_id: "106540352242922", token_env: GRAPH_TOKEN, request_permission: true }\n');
    const r = await runCli(['check-config', file('checked.yaml', checked)], { ...ENV, GRAPH_TOKEN: 'EAAG-check-config-token' });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('  call permission checks: +442071230000 (phone number ID 106540352242922, sends permission requests)\n');
    expect(r.stdout).not.toContain('EAAG-check-config-token');
  });

  it('merges several files in order', async () => {
    const over = file('over.yaml', 'meta:\n  hostname: gw.example.org\n');
    const r = await runCli(['check-config', file('base.yaml', BASE), over], ENV);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('  Meta hostname: gw.example.org');
  });

  it('an unknown key: exit 2 with <file>: <key>: unknown key', async () => {
    const bad = file('typo.yaml', `${BASE}\nmeta_typo: 1\n`);
    const r = await runCli(['check-config', bad], ENV);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`${bad}: meta_typo: unknown key\n`);
  });

  it('a missing secret and a missing file are ConfigErrors too; no file is a usage error', async () => {
    const r = await runCli(['check-config', file('ok.yaml', BASE)], {});
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('numbers[0].sip_password_env: environment variable META_PW is not set');
    const missing = await runCli(['check-config', join(dirname(file('exists.yaml', BASE)), 'nope.yaml')], ENV);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.yaml: (file): cannot read');
    expect((await runCli(['check-config'], ENV)).code).toBe(2);
  });
});

describe('usage', () => {
  it('--help and no arguments list the commands and env vars, exit 0; an unknown command exits 2', async () => {
    for (const args of [['--help'], []]) {
      const r = await runCli(args);
      expect(r.code).toBe(0);
      for (const word of ['meta configure', 'meta show', 'check-tls', 'check-config', 'WA_GRAPH_TOKEN', 'WA_GRAPH_URL', 'WA_GRAPH_VERSION']) {
        expect(r.stdout).toContain(word);
      }
    }
    const bad = await runCli(['frobnicate']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown command frobnicate');
  });
});
