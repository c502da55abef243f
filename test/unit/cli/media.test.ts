import { describe, expect, it } from 'vitest';
import { mediaCommand } from '../../../src/cli/media-drain';
import { bufferIo, UsageError } from '../../../src/cli/output';

/** `wa-sip-gateway media ...` against stand-in gateway HTTP APIs */
describe('media command', () => {
  const seen: string[] = [];
  const fake = (failAt?: string): typeof fetch => (async (url: string | URL | Request, init?: RequestInit) => {
    const u = String(url);
    seen.push(`${init?.method} ${u}`);
    if (failAt && u.startsWith(failAt)) return new Response(JSON.stringify({ error: 'no media server 10.0.0.9:8021 in the config' }), { status: 404 });
    const s = { server: '10.0.0.9:8021', connected: true, drained: u.endsWith('/drain'), legs: 1 };
    return new Response(JSON.stringify(u.endsWith('/media-servers') ? [s] : s), { status: 200 });
  }) as typeof fetch;

  it('drains at every gateway instance given, the server named by its event socket', async () => {
    seen.length = 0;
    const io = bufferIo();
    const code = await mediaCommand(['drain', '10.0.0.9:8021', '--gateway', 'http://gw1:8080/', '--gateway', 'http://gw2:8080'], io, fake());
    expect(code).toBe(0);
    expect(seen).toEqual(['POST http://gw1:8080/media-servers/10.0.0.9%3A8021/drain', 'POST http://gw2:8080/media-servers/10.0.0.9%3A8021/drain']);
    expect(io.stdout.join('')).toContain('10.0.0.9:8021  connected, drained, 1 FreeSWITCH channel\n');
  });

  it('exit 1 when an instance refuses, saying which; usage errors for a missing or extra server', async () => {
    const io = bufferIo();
    expect(await mediaCommand(['resume', '10.0.0.9:8021', '--gateway', 'http://gw1:8080', '--gateway', 'http://gw2:8080'], io, fake('http://gw2'))).toBe(1);
    expect(io.stderr.join('')).toBe('http://gw2:8080: 404 no media server 10.0.0.9:8021 in the config\n');
    await expect(mediaCommand(['drain'], bufferIo(), fake())).rejects.toThrow(UsageError);
    await expect(mediaCommand(['list', 'x:1'], bufferIo(), fake())).rejects.toThrow(UsageError);
    await expect(mediaCommand(['stop'], bufferIo(), fake())).rejects.toThrow(UsageError);
  });
});
