import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load';
import { shutdownBudgetMs } from '../../src/shutdown-budget';

/**
 * `docker compose up` cannot run on the test machines (no Docker engine), so the compose
 * file is checked here: the services, images, networking, mounted project config,
 * healthchecks, and that the config it mounts loads with the env it passes.
 */
const root = resolve(__dirname, '../..');
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, {
    image?: string; build?: { context: string; dockerfile: string }; network_mode?: string; command?: string[];
    volumes?: string[]; healthcheck?: { test: string[] }; depends_on?: Record<string, { condition: string }>;
    environment?: Record<string, string>; entrypoint?: string[]; stop_grace_period?: string;
  }>;
};

describe('docker-compose.yml', () => {
  const s = compose.services;

  it('runs drachtio-server, FreeSWITCH, rtpengine and the gateway on the host network', () => {
    expect(Object.keys(s).sort()).toEqual(['drachtio', 'freeswitch', 'gateway', 'rtpengine']);
    expect(s.drachtio!.image).toMatch(/drachtio\/drachtio-server/);
    expect(s.freeswitch!.image).toMatch(/FREESWITCH_IMAGE/);
    for (const svc of Object.values(s)) expect(svc.network_mode).toBe('host');
    expect(existsSync(join(root, s.gateway!.build!.dockerfile))).toBe(true);
    expect(existsSync(join(root, s.rtpengine!.build!.context, s.rtpengine!.build!.dockerfile))).toBe(true);
  });

  it("runs rtpengine (DTLS calls, issue 11) from Debian's rtpengine-daemon in userspace, where the gateway's config looks for it", () => {
    const docker = readFileSync(join(root, s.rtpengine!.build!.context, s.rtpengine!.build!.dockerfile), 'utf8');
    expect(docker).toMatch(/^FROM debian:bookworm-slim$/m);
    expect(docker).toMatch(/apt-get install .*rtpengine-daemon/);
    expect(docker).toContain('--table=-1'); // no kernel module: userspace forwarding
    const args = s.rtpengine!.command!;
    const ng = args.find((a) => a.startsWith('--listen-ng='))!.slice('--listen-ng='.length);
    expect(ng).toMatch(/^127\.0\.0\.1:\d+$/); // the ng control port stays on loopback
    const env = Object.fromEntries(Object.keys(s.gateway!.environment!).map((k) => [k, 'x']));
    expect(loadConfig([join(root, 'config/gateway.yaml')], env).rtpengine.address).toBe(ng);
    expect(s.rtpengine!.healthcheck!.test.join(' ')).toContain(`/dev/udp/${ng.replace(':', '/')}`);
    // its RTP range does not overlap FreeSWITCH's (docker/freeswitch/vars.xml: 20000-20999)
    const min = Number(args.find((a) => a.startsWith('--port-min='))!.split('=')[1]);
    const max = Number(args.find((a) => a.startsWith('--port-max='))!.split('=')[1]);
    expect(min).toBeGreaterThan(20999);
    expect(max).toBeGreaterThan(min);
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    expect(readme).toContain(`${min}-${max}`);
  });

  it('pins the images to the versions the tests run, as the README lists them; none is "latest"', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const drachtio = /^\$\{DRACHTIO_IMAGE:-(drachtio\/drachtio-server:(\d+\.\d+\.\d+))\}$/.exec(s.drachtio!.image!);
    expect(drachtio, s.drachtio!.image).not.toBeNull();
    expect(readme).toContain(`\`${drachtio![1]}\``);
    expect(readme).toContain(`drachtio-server v${drachtio![2]}`);
    // no default for FreeSWITCH: compose stops with this message until .env names the image
    expect(s.freeswitch!.image).toMatch(/^\$\{FREESWITCH_IMAGE:\?.*1\.10\.12.*\}$/);
    expect(readme).toContain('FreeSWITCH 1.10.12');
    for (const svc of Object.values(s)) expect(svc.image ?? '').not.toMatch(/:latest\b/);
  });

  it("listens for Meta on TLS 5061 and for the PBX on 5060, with the TLS files mounted", () => {
    const cmd = s.drachtio!.command!.join(' ');
    expect(cmd).toContain('--contact=sips:*:5061;transport=tls');
    expect(cmd).toContain('--contact=sip:*:5060;transport=udp,tcp');
    for (const f of ['privkey.pem', 'cert.pem', 'chain.pem']) expect(cmd).toContain(`/etc/drachtio/tls/${f}`);
    expect(s.drachtio!.volumes!.some((v) => v.endsWith(':/etc/drachtio/tls:ro'))).toBe(true);
  });

  it("mounts the project's own config files, and they exist", () => {
    const mounts = Object.values(s).flatMap((svc) => svc.volumes ?? []).filter((v) => v.startsWith('./'));
    expect(mounts).toEqual(expect.arrayContaining([
      './docker/drachtio/drachtio.conf.xml:/etc/drachtio/drachtio.conf.xml:ro',
      './docker/freeswitch:/etc/freeswitch:ro',
      './config/gateway.yaml:/etc/wa-sip-gateway/gateway.yaml:ro',
    ]));
    for (const m of mounts) expect(existsSync(join(root, m.split(':')[0]!))).toBe(true);
    expect(s.freeswitch!.command).toEqual(expect.arrayContaining(['-conf', '/etc/freeswitch']));
  });

  it('has healthchecks, and the gateway waits for both servers', () => {
    expect(s.drachtio!.healthcheck!.test.join(' ')).toContain('9022');
    expect(s.freeswitch!.healthcheck!.test.join(' ')).toContain('fs_cli');
    expect(s.gateway!.healthcheck!.test.join(' ')).toContain('http://127.0.0.1:8080/readyz');
    expect(s.gateway!.depends_on).toEqual({ drachtio: { condition: 'service_healthy' }, freeswitch: { condition: 'service_healthy' }, rtpengine: { condition: 'service_healthy' } });
  });

  it("gives the gateway's SIGTERM longer than shutdown.drain_seconds plus the teardown before docker kills it", () => {
    const env = Object.fromEntries(Object.keys(s.gateway!.environment!).map((k) => [k, 'x']));
    const cfg = loadConfig([join(root, 'config/gateway.yaml')], env);
    const grace = composeDurationMs(s.gateway!.stop_grace_period ?? '10s'); // docker's default is 10 s
    expect(grace).toBeGreaterThan(shutdownBudgetMs(cfg.shutdown.drain_seconds));
  });

  it('passes the gateway every secret its mounted config names, and that config loads', () => {
    const env = s.gateway!.environment!;
    expect(env.WA_GW_CONFIG).toBe('/etc/wa-sip-gateway/gateway.yaml');
    const fake = Object.fromEntries(Object.keys(env).map((k) => [k, 'x']));
    const cfg = loadConfig([join(root, 'config/gateway.yaml')], fake);
    expect(cfg.drachtio.port).toBe(9022);
    expect(cfg.freeswitch[0]!.port).toBe(8021);
    expect(cfg.http).toEqual({ host: '127.0.0.1', port: 8080 });
  });
});

/** a compose duration: `330s`, `5m30s`, `1h`, `1.5m`, `500ms` */
function composeDurationMs(d: string): number {
  const unit: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001 };
  const parts = [...d.matchAll(/(\d+(?:\.\d+)?)(ms|us|h|m|s)/g)];
  if (parts.map((p) => p[0]).join('') !== d) throw new Error(`not a compose duration: ${d}`);
  return parts.reduce((ms, p) => ms + Number(p[1]) * unit[p[2]!]!, 0);
}
