import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config/load';
import { configWriter } from '../../support/config-fixtures';

const write = configWriter('wa-gw-permissions-');

const yaml = (number: string) => `
drachtio: { secret_env: DR_PW }
freeswitch: [{ host: 127.0.0.1, secret_env: FS_PW }]
meta: { hostname: sip.example.com }
numbers:
  - number: "+442071230000"
    sip_password_env: META_PW
    pbx: main
    destination: "1001"
${number}
pbxs:
  - { name: main, host: 10.0.0.5 }
`;
const ENV = { DR_PW: 'd', FS_PW: 'f', META_PW: 'm', GRAPH_TOKEN: 'EAAG-config-token' };

function load(number: string, env: Record<string, string | undefined> = ENV) {
  return loadConfig([write('c.yaml', yaml(number))], env).numbers[0]!;
}
function errorOf(number: string, env: Record<string, string | undefined> = ENV): string {
  try {
    load(number, env);
  } catch (err) {
    if (err instanceof ConfigError) return `${err.key}: ${err.message.split(': ').slice(2).join(': ')}`;
    throw err;
  }
  return 'no error';
}

describe('numbers[].call_permissions and country_rule', () => {
  it('absent: no check, and the country rule refuses by default', () => {
    expect(load('')).toMatchObject({ call_permissions: null, country_rule: 'refuse' });
  });

  it('with a phone number ID: the token from the environment, the defaults of the CLI', () => {
    const n = load('    call_permissions: { phone_number_id: "106540352242922", token_env: GRAPH_TOKEN }\n    country_rule: allow');
    expect(n.country_rule).toBe('allow');
    expect(n.call_permissions).toEqual({
      phone_number_id: '106540352242922', token: 'EAAG-config-token', graph_url: 'https://graph.facebook.com', graph_version: 'v21.0',
      timeout_ms: 1000, cache_seconds: 10, request_permission: false, request_text: 'We would like to call you on WhatsApp. May we?',
    });
  });

  it('every setting, the token from a file, a trailing slash off the URL', () => {
    const token = write('token', 'EAAG-file-token\n');
    const n = load(`    call_permissions:
      phone_number_id: "42"
      token_file: ${token}
      graph_url: https://graph.example.test/
      graph_version: v23.0
      timeout_ms: 300
      cache_seconds: 30
      request_permission: true
      request_text: "May we call you about your order?"`);
    expect(n.call_permissions).toEqual({
      phone_number_id: '42', token: 'EAAG-file-token', graph_url: 'https://graph.example.test', graph_version: 'v23.0',
      timeout_ms: 300, cache_seconds: 30, request_permission: true, request_text: 'May we call you about your order?',
    });
  });

  it.each([
    ['    call_permissions: { phone_number_id: "42" }', 'numbers[0].call_permissions.token_env: required: name an environment variable (or use _file)'],
    ['    call_permissions: { phone_number_id: "42", token_env: NOPE }', 'numbers[0].call_permissions.token_env: environment variable NOPE is not set'],
    ['    call_permissions: { token_env: GRAPH_TOKEN }', 'numbers[0].call_permissions.phone_number_id: required: numbers[0].call_permissions.token_env is set but no phone_number_id'],
    ['    call_permissions: { request_permission: true }', 'numbers[0].call_permissions.phone_number_id: required: numbers[0].call_permissions.request_permission is set but no phone_number_id'],
    ['    call_permissions: { phone_number_id: "+442071230000", token_env: GRAPH_TOKEN }', 'numbers[0].call_permissions.phone_number_id: must be the numeric phone number ID from WhatsApp Manager (not the phone number itself)'],
    ['    call_permissions: { phone_number_id: "42", token_env: GRAPH_TOKEN, graph_url: graph.facebook.com }', 'numbers[0].call_permissions.graph_url: must start with https:// (got "graph.facebook.com")'],
    ['    call_permissions: { phone_number_id: "42", token_env: GRAPH_TOKEN, graph_version: "21" }', 'numbers[0].call_permissions.graph_version: must look like v21.0 (got "21")'],
    ['    call_permissions: { phone_number_id: "42", token_env: GRAPH_TOKEN, timeout_ms: 0 }', 'numbers[0].call_permissions.timeout_ms: must be a whole number of 1 or more, got 0'],
    ['    call_permissions: { phone_number_id: "42", token_env: GRAPH_TOKEN, request_permission: "yes" }', 'numbers[0].call_permissions.request_permission: must be true or false (unquoted): value was "yes"'],
    ['    call_permissions: { phone_number_id: "42", token_env: GRAPH_TOKEN, tokn: x }', 'numbers[0].call_permissions.tokn: unknown key'],
    ['    country_rule: warn', 'numbers[0].country_rule: must be one of the possible values: ["refuse","allow"]: value was "warn"'],
  ])('%s → %s', (number, expected) => {
    expect(errorOf(number)).toBe(expected);
  });

  it('the token never appears in an error', () => {
    expect(errorOf('    call_permissions: { phone_number_id: "42", token_env: GRAPH_TOKEN, graph_url: "ftp://x" }')).not.toContain('EAAG-config-token');
  });
});
