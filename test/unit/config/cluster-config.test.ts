import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config/load';
import { configWriter } from '../../support/config-fixtures';

/** cluster, redis and homer (issue 13): defaults, and the mistakes that stop the start */
const write = configWriter('wa-gw-cluster-');
type Doc = Record<string, unknown>;
const base = (extra: Doc = {}): string => stringify({
  http: { port: 0 },
  drachtio: { host: '127.0.0.1', port: 1, secret_env: 'DR_PW' },
  freeswitch: [{ host: '127.0.0.1', port: 2, secret_env: 'FS_PW' }],
  meta: { hostname: 'sip.example.com' },
  numbers: [{ number: '+12145551869', sip_password_env: 'META_PW', pbx: 'main', destination: '1001' }],
  pbxs: [{ name: 'main', host: '10.0.0.5' }],
  ...extra,
});
const ENV = { DR_PW: 'dr', FS_PW: 'fs', META_PW: 'meta', CLUSTER: 'cluster-secret-value', REDIS_PW: 'redis-secret-value' };
const load = (extra: Doc) => loadConfig([write('gateway.yaml', base(extra))], ENV);
const mistake = (extra: Doc): string => {
  try {
    load(extra);
  } catch (err) {
    if (err instanceof ConfigError) return `${err.key}: ${err.message.split(': ').slice(2).join(': ')}`;
    throw err;
  }
  return 'loaded';
};

describe('cluster and redis config', () => {
  it('without redis: no shared state, a random nonce key, an instance id of host name and pid', () => {
    const cfg = load({});
    expect(cfg.redis.host).toBe('');
    expect(cfg.cluster.secret).toBe('');
    expect(cfg.cluster.instance_id).toMatch(new RegExp(`^[A-Za-z0-9_-]{1,20}$`));
    expect(cfg.cluster.instance_id.endsWith(`-${process.pid}`) || cfg.cluster.instance_id.length === 20).toBe(true);
    expect(cfg.homer.correlation_header).toBe('');
  });

  it('with redis: the secrets from the environment, the defaults of the rest', () => {
    const cfg = load({ cluster: { instance_id: 'gw-a', secret_env: 'CLUSTER' }, redis: { host: '10.0.0.30', password_env: 'REDIS_PW' } });
    expect(cfg.cluster).toEqual({ instance_id: 'gw-a', secret: 'cluster-secret-value' });
    expect(cfg.redis).toEqual({ host: '10.0.0.30', port: 6379, password: 'redis-secret-value', key_prefix: 'wagw', on_unreachable: 'fail-open', lease_seconds: 15, command_timeout_ms: 500 });
  });

  it('refuses redis without the shared secret, a bad instance id, a short lease, an unknown fail mode', () => {
    expect(mistake({ redis: { host: '10.0.0.30' } })).toMatch(/^cluster\.secret_env: required with redis\.host/);
    expect(mistake({ cluster: { instance_id: 'gw.a' } })).toMatch(/^cluster\.instance_id: "gw\.a": letters, digits, - and _ only/);
    expect(mistake({ cluster: { instance_id: 'x'.repeat(21) } })).toMatch(/^cluster\.instance_id: /);
    expect(mistake({ cluster: { secret_env: 'CLUSTER' }, redis: { host: 'r', lease_seconds: 2 } })).toMatch(/^redis\.lease_seconds: must be 3 or more/);
    expect(mistake({ cluster: { secret_env: 'CLUSTER' }, redis: { host: 'r', on_unreachable: 'retry' } })).toMatch(/^redis\.on_unreachable: /);
    expect(mistake({ cluster: { secret_env: 'NOT_SET' }, redis: { host: 'r' } })).toMatch(/^cluster\.secret_env: environment variable NOT_SET is not set/);
  });
});
