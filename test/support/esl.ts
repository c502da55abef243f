// eslint-disable-next-line @typescript-eslint/no-require-imports
const esl = require('drachtio-modesl') as {
  Connection: new (host: string, port: number, password: string, ready: () => void) => EslConn;
};

interface EslConn {
  api(cmd: string, cb: (res: { getBody(): string }) => void): void;
  on(event: 'error', cb: (err: Error) => void): void;
  disconnect(): void;
}

/** One FreeSWITCH API command over a fresh event-socket connection. */
export function fsApi(host: string, port: number, password: string, command: string, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`ESL ${command}: timeout`)), timeoutMs);
    const conn = new esl.Connection(host, port, password, () => {
      conn.api(command, (res) => {
        clearTimeout(timer);
        conn.disconnect();
        resolve(res.getBody());
      });
    });
    conn.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** number of channels FreeSWITCH has open */
export async function channelCount(host: string, port: number, password: string): Promise<number> {
  const body = await fsApi(host, port, password, 'show channels count');
  const m = /(\d+)\s+total/.exec(body);
  if (!m?.[1]) throw new Error(`unexpected 'show channels count' answer: ${body}`);
  return Number(m[1]);
}
