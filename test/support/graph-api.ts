import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local HTTP server playing Meta's Graph API on loopback: it records every request
 * (method, path with query, bearer header, body) and answers with what `answer` returns for
 * it; `hold` keeps requests unanswered (a slow Graph API) until released.
 */
export interface GraphSeen {
  method: string;
  url: string;
  authorization: string;
  contentType: string;
  body: string;
}

export type GraphReply = { status: number; body: unknown } | 'hold';

export class GraphApi {
  readonly seen: GraphSeen[] = [];
  answer: (req: GraphSeen) => GraphReply = () => ({ status: 200, body: { success: true } });
  private held: ServerResponse[] = [];
  private waiters: { n: number; resolve: () => void }[] = [];

  private constructor(private readonly server: Server, readonly url: string) {}

  static async start(host = '127.0.0.1'): Promise<GraphApi> {
    let api: GraphApi | null = null;
    const server = createServer((req, res) => void readBody(req).then((body) => api!.handle(req, res, body)));
    await new Promise<void>((done) => server.listen(0, host, done));
    api = new GraphApi(server, `http://${host}:${(server.address() as AddressInfo).port}`);
    return api;
  }

  private handle(req: IncomingMessage, res: ServerResponse, body: string): void {
    const seen = {
      method: req.method ?? '', url: req.url ?? '', body,
      authorization: req.headers.authorization ?? '', contentType: req.headers['content-type'] ?? '',
    };
    this.seen.push(seen);
    for (const w of this.waiters.filter((x) => this.seen.length >= x.n)) w.resolve();
    const reply = this.answer(seen);
    if (reply === 'hold') {
      this.held.push(res);
      return;
    }
    res.writeHead(reply.status, { 'content-type': 'application/json' }).end(typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body));
  }

  /** requests to a path (without the query) */
  to(method: string, path: string): GraphSeen[] {
    return this.seen.filter((s) => s.method === method && s.url.split('?')[0] === path);
  }

  /** resolves once `n` requests have come in all */
  received(n: number): Promise<void> {
    if (this.seen.length >= n) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ n, resolve }));
  }

  reset(): void {
    this.seen.length = 0;
    this.release();
    this.answer = () => ({ status: 200, body: { success: true } });
  }

  /** answer the held requests with a 500 (their callers have usually given up by then) */
  release(): void {
    for (const res of this.held.splice(0)) if (!res.writableEnded) res.writeHead(500).end('{}');
  }

  async close(): Promise<void> {
    this.release();
    this.server.closeAllConnections();
    await new Promise<void>((done) => this.server.close(() => done()));
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((done) => {
    let text = '';
    req.setEncoding('utf8').on('data', (d: string) => (text += d)).on('end', () => done(text));
  });
}

/** Meta's answer to GET call_permissions, as in the reference (made valid JSON) */
export function permissionAnswer(o: {
  status?: string;
  expiresAt?: number;
  startCall?: boolean;
  startLimit?: { max: number; used: number; liftsAt?: number };
  canRequest?: boolean;
  requestLimits?: { period: string; max: number; used: number; liftsAt?: number }[];
} = {}): unknown {
  const limit = (period: string, l: { max: number; used: number; liftsAt?: number }) => ({
    time_period: period, max_allowed: l.max, current_usage: l.used, ...(l.liftsAt !== undefined ? { limit_expiration_time: l.liftsAt } : {}),
  });
  return {
    messaging_product: 'whatsapp',
    permission: { status: o.status ?? 'temporary', ...(o.expiresAt !== undefined ? { expiration_time: o.expiresAt } : {}) },
    actions: [
      {
        action_name: 'send_call_permission_request',
        can_perform_action: o.canRequest ?? true,
        limits: (o.requestLimits ?? [{ period: 'PT24H', max: 1, used: 0 }, { period: 'P7D', max: 2, used: 1 }]).map((l) => limit(l.period, l)),
      },
      { action_name: 'start_call', can_perform_action: o.startCall ?? true, limits: [limit('PT24H', o.startLimit ?? { max: 10, used: 1 })] },
    ],
  };
}
