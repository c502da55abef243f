import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';
import { handleMediaAdmin, type MediaAdmin } from './media-admin';

/** What the HTTP endpoints read; they never reach into calls. */
export interface HealthSource {
  /** drachtio connected, a media server up, not draining */
  /** `rtpengine`: the DTLS terminator (issue 11), 'off' when none is configured; down only refuses DTLS calls */
  ready(): { ready: boolean; drachtio: boolean; mediaServers: number; draining: boolean; activeCalls: number; rtpengine?: 'off' | 'up' | 'down' };
  metrics: Registry;
  /** the media servers: list, drain, resume (media-admin.ts) */
  media?: MediaAdmin;
}

/** /healthz (process up), /readyz (can take calls), /metrics (Prometheus), /media-servers (list, drain) */
export function startHttp(host: string, port: number, src: HealthSource): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else if (path === '/readyz') {
      const r = src.ready();
      res.writeHead(r.ready ? 200 : 503, { 'content-type': 'application/json' }).end(`${JSON.stringify(r)}\n`);
    } else if (path === '/metrics') {
      src.metrics.metrics().then(
        (text) => res.writeHead(200, { 'content-type': src.metrics.contentType }).end(text),
        (err: Error) => res.writeHead(500).end(err.message),
      );
    } else if (!src.media || !handleMediaAdmin(req, res, path ?? '/', src.media)) {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
