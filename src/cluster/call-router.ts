import { createServer, type Server } from 'node:http';
import type { Logger } from '../util/logger';

/**
 * Several gateway processes on one drachtio-server (issue 13). drachtio-server hands each
 * new request to the next connected application in turn (client-controller.cpp,
 * selectClientForRequestOutsideDialog), which is right for Meta's and the PBX's INVITEs but
 * not for the INVITE FreeSWITCH sends for a leg one gateway originated: only that gateway
 * waits for it. So drachtio-server asks this router (its `--http-handler`, or a
 * `<request-handler>`) about every new request, and the answer names a tag (jambonz's
 * sbc-call-router does the same): a leg goes to its gateway's own tag, anything else to
 * the tag every gateway carries, in turn among them. Without several gateways on one
 * drachtio-server nothing of this is needed.
 */

/** every gateway instance connects with this tag */
export const CLUSTER_TAG = 'wa-gw';

/** the tag of one instance (drachtio-srf allows 32 characters; instance ids have at most 20) */
export function instanceTag(instanceId: string): string {
  return `${CLUSTER_TAG}-${instanceId}`;
}

/** the Request-URI user of the legs an instance has FreeSWITCH originate (originated-leg.ts) */
export function legUser(instanceId: string): string {
  return `wa-leg-${instanceId}`;
}

export interface RouteAnswer {
  action: 'route';
  data: { tag: string };
}

/** drachtio-server's query (method, uriUser, source_address, ...) → the tag that takes the request */
export function routeRequest(query: URLSearchParams): RouteAnswer {
  const leg = /^wa-leg-([A-Za-z0-9_-]{1,20})$/.exec(query.get('uriUser') ?? '');
  return { action: 'route', data: { tag: leg ? instanceTag(leg[1]!) : CLUSTER_TAG } };
}

/** the router's HTTP server: any path with drachtio-server's query; /healthz for a supervisor */
export function startCallRouter(host: string, port: number, log: Logger): Promise<Server> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://router');
    if (url.pathname === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      return;
    }
    const answer = routeRequest(url.searchParams);
    log.debug({ method: url.searchParams.get('method'), uriUser: url.searchParams.get('uriUser'), tag: answer.data.tag }, 'routed');
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
