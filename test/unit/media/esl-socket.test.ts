import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { wholeCommands, type EslWriter } from '../../../src/media/esl-socket';

// modesl comes with drachtio-fsmrf (package-lock.json pins it): the connection class fsmrf gives us
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Connection } = require('drachtio-modesl') as { Connection: new (host: string, port: number, password: string, ready: () => void) => EslConnection };

interface EslConnection extends EslWriter {
  api(command: string, cb: (res: { getBody(): string }) => void): void;
  bgapi(command: string, cb: (evt: { getBody(): string }) => void): void;
  disconnect(): void;
}

/**
 * The gateway's event socket writes each command whole (src/media/esl-socket.ts): a real modesl
 * connection to a stand-in event socket on loopback, whose socket's writes are counted where
 * Node hands them to the kernel (`_write` for one chunk, `_writev` for several at once).
 */
describe('event socket commands in one write', () => {
  let server: Server | null = null;
  let conn: EslConnection | null = null;
  afterEach(() => {
    conn?.disconnect();
    server?.close();
    conn = null;
    server = null;
  });

  /** an event socket that takes the password, answers `api status`, and acknowledges a bgapi */
  async function connect(): Promise<{ conn: EslConnection; received: () => string }> {
    let text = '';
    server = createServer((s: Socket) => {
      s.write('Content-Type: auth/request\n\n');
      s.on('data', (d: Buffer) => {
        text += d.toString();
        if (text.endsWith('auth ClueCon\n\n')) s.write('Content-Type: command/reply\nReply-Text: +OK accepted\n\n');
        if (text.endsWith('api status\n\n')) s.write('Content-Type: api/response\nContent-Length: 4\n\n+OK\n');
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const c = await new Promise<EslConnection>((resolve) => { const x: EslConnection = new Connection('127.0.0.1', port, 'ClueCon', () => resolve(x)); });
    conn = c;
    return { conn: c, received: () => text };
  }

  /** what reaches the kernel, a string per write */
  function countWrites(socket: Socket): string[] {
    const writes: string[] = [];
    const s = socket as unknown as { _write: (chunk: unknown, ...rest: unknown[]) => void; _writev: (chunks: { chunk: unknown }[], ...rest: unknown[]) => void };
    const one = s._write.bind(socket);
    const many = s._writev.bind(socket);
    s._write = (chunk: unknown, ...rest: unknown[]) => { writes.push(String(chunk)); one(chunk, ...rest); };
    s._writev = (chunks: { chunk: unknown }[], ...rest: unknown[]) => { writes.push(chunks.map((c) => String(c.chunk)).join('')); many(chunks, ...rest); };
    return writes;
  }

  it('modesl alone writes a bgapi in three pieces (why the gateway corks)', async () => {
    const { conn } = await connect();
    const writes = countWrites(conn.socket);
    conn.bgapi('status', () => undefined);
    expect(writes).toHaveLength(3);
    expect(writes[0]).toBe('bgapi status \n'); // modesl's own framing: a space for the empty args
    expect(writes[1]).toMatch(/^Job-UUID: [0-9a-f-]{36}\n$/);
    expect(writes[2]).toBe('\n');
  });

  it('corked: the same bgapi leaves in one write, byte for byte', async () => {
    const { conn, received } = await connect();
    wholeCommands(conn);
    const writes = countWrites(conn.socket);
    conn.bgapi('uuid_bridge a b', () => undefined);
    expect(writes).toHaveLength(1);
    expect(writes[0]).toMatch(/^bgapi uuid_bridge a b \nJob-UUID: [0-9a-f-]{36}\n\n$/);
    await expect.poll(() => received().endsWith(writes[0]!)).toBe(true);
  });

  it('corked: an api command is written once and its answer still comes back', async () => {
    const { conn } = await connect();
    wholeCommands(conn);
    const writes = countWrites(conn.socket);
    const body = await new Promise<string>((resolve) => conn.api('status', (res) => resolve(res.getBody())));
    expect(writes).toEqual(['api status\n\n']);
    expect(body).toBe('+OK\n');
  });
});
