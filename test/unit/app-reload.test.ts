import { describe, expect, it, vi } from 'vitest';
import pino from 'pino';
import { buildApp } from '../../src/app';
import { loadConfig } from '../../src/config/load';
import type { GatewayConfig } from '../../src/config/types';
import type { Routing } from '../../src/sip/invite-router';
import { configWriter } from '../support/config-fixtures';

/**
 * SIGHUP applies a configuration all or nothing (issue 10). A config can validate and still
 * fail while the routing is built (here: Meta's CA file vanished between validation and
 * build); then nothing of it may be applied: not the routing, and not the digest realm
 * shared across reloads (before, the realm was switched first, then the build threw).
 */
const seen = vi.hoisted(() => ({ routing: null as null | (() => unknown), digests: [] as { challenge(): string }[] }));

vi.mock('../../src/sip/invite-router', async (importOriginal) => ({
  ...(await importOriginal<object>()),
  InviteRouter: class {
    constructor(deps: { routing: () => unknown }) { seen.routing = deps.routing; }
    handle(): void { /* no INVITEs in this test */ }
  },
}));
vi.mock('../../src/auth/digest-server', async (importOriginal) => {
  const m = await importOriginal<typeof import('../../src/auth/digest-server')>();
  return {
    ...m,
    DigestServer: class extends m.DigestServer {
      constructor(...args: ConstructorParameters<typeof m.DigestServer>) {
        super(...args);
        seen.digests.push(this);
      }
    },
  };
});

const write = configWriter('wa-gw-reload-');

function config(): GatewayConfig {
  return loadConfig([write('gw.yaml', `
drachtio: { secret_env: S }
freeswitch: [{ host: 127.0.0.1, port: 2, secret_env: S }]
meta: { hostname: gw.example.com, auth_realm: first.example.com }
numbers: [{ number: "+12145551869", sip_password_env: S, pbx: main, destination: "1001" }]
pbxs: [{ name: main, host: 127.0.0.20 }]
`)], { S: 'x' });
}

const realm = () => /realm="([^"]+)"/.exec(seen.digests[0]!.challenge())?.[1];
const routing = () => seen.routing!() as Routing;

describe('reload', () => {
  it('a config that fails while the routing is built changes nothing; a good one then applies whole', async () => {
    const first = config();
    const app = buildApp(first, pino({ level: 'silent' }));
    const before = routing();
    expect(realm()).toBe('first.example.com');

    const broken = { ...first, meta: { ...first.meta, auth_realm: 'second.example.com', outbound_tls_ca_file: '/nonexistent/meta-ca.pem' } };
    expect(() => app.reload(broken)).toThrow(/ENOENT/);
    expect(routing()).toBe(before);
    expect(realm()).toBe('first.example.com');

    const good = { ...first, meta: { ...first.meta, auth_realm: 'third.example.com' } };
    app.reload(good);
    expect(routing()).not.toBe(before);
    expect(routing().meta.auth_realm).toBe('third.example.com');
    expect(realm()).toBe('third.example.com');
    await app.stop();
  });
});
