import type { Socket } from 'node:net';
import type { FsMediaServer } from './fsmrf-types';

/** the part of modesl's Connection that writes a command (lib/esl/Connection.js `send`) */
export interface EslWriter {
  readonly socket: Socket;
  send(command: string, args?: Record<string, string>): void;
}

/**
 * The gateway's event socket to FreeSWITCH, tuned for set-up latency:
 * - Nagle off: each command is a small write answered by a small reply, and with Nagle on
 *   every round trip waited ~40 ms for FreeSWITCH's delayed ACK (measured: `api status`
 *   44 ms → 0.4 ms, originate → INVITE 43 ms → 3 ms; SPEC T1);
 * - each command in one write: modesl writes the command line, each header, and the blank line
 *   that ends it as writes of their own, so with Nagle off a bgapi (Job-UUID header) left as
 *   three TCP segments, each a syscall here and a wake-up of FreeSWITCH's reader for a partial
 *   command. Corked for the length of `send`, they leave in one writev.
 * Also Nagle off on fsmrf's per-channel event sockets, which our legs do not use.
 */
export function tuneEventSocket(ms: FsMediaServer): void {
  ms.conn.socket.setNoDelay(true);
  wholeCommands(ms.conn);
  ms._server?.on('connection::open', (conn) => conn.socket.setNoDelay(true));
}

/** every later command of `conn` (api, bgapi, subscribe) in one write */
export function wholeCommands(conn: EslWriter): void {
  const send = conn.send.bind(conn);
  conn.send = (command, args) => {
    conn.socket.cork();
    try {
      send(command, args);
    } finally {
      conn.socket.uncork();
    }
  };
}
