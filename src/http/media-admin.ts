import type { IncomingMessage, ServerResponse } from 'node:http';

/** what the HTTP API may do to the media servers: list them, drain one, take it back */
export interface MediaAdmin {
  servers(): { server: string; connected: boolean; drained: boolean; legs: number; stuck: number }[];
  /** false: no such server in the config */
  drain(server: string, drained: boolean): boolean;
}

/**
 * `GET /media-servers`, `POST /media-servers/<host:port>/drain` and `.../resume`: a drained
 * FreeSWITCH gets no new calls and keeps its calls until they end (issue 13). `<host:port>`
 * is its event socket as in the config (freeswitch[].host and port), URL-encoded.
 * Returns false when the path is not one of these.
 */
export function handleMediaAdmin(req: IncomingMessage, res: ServerResponse, path: string, admin: MediaAdmin): boolean {
  const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(`${JSON.stringify(body)}\n`);
  if (path === '/media-servers') {
    if (req.method !== 'GET' && req.method !== 'HEAD') json(405, { error: 'GET only' });
    else json(200, admin.servers());
    return true;
  }
  const m = /^\/media-servers\/([^/]+)\/(drain|resume)$/.exec(path);
  if (!m) return false;
  if (req.method !== 'POST') {
    res.setHeader('allow', 'POST');
    json(405, { error: 'POST only' });
    return true;
  }
  let server: string;
  try {
    server = decodeURIComponent(m[1]!);
  } catch {
    json(400, { error: 'bad server name' });
    return true;
  }
  const drained = m[2] === 'drain';
  if (!admin.drain(server, drained)) json(404, { error: `no media server ${server} in the config`, servers: admin.servers().map((s) => s.server) });
  else json(200, admin.servers().find((s) => s.server === server));
  return true;
}
