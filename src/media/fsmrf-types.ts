import type { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type Srf from 'drachtio-srf';

/**
 * Our own typings for the parts of drachtio-fsmrf 4.1.2 we use (it ships none). The
 * integration suite runs them against the real library. Only src/media imports fsmrf.
 */

export interface FsMediaServer extends EventEmitter {
  /** SIP addresses (`127.0.0.1:5080`, `[::1]:5080`) of the profile, from `sofia status` at connect */
  readonly sip: Record<'ipv4' | 'ipv6', { udp: { address?: string }; dtls: { address?: string } }>;
  readonly srf: Srf;
  /** the inbound event socket (ours → FreeSWITCH) */
  readonly conn: {
    bgapi(command: string, cb: (evt: { getBody(): string }) => void): void;
    subscribe(events: string[]): void;
    /** writes one command: its line, each of `args` as a header, a blank line */
    send(command: string, args?: Record<string, string>): void;
    readonly socket: Socket;
  };
  /** modesl's server for FreeSWITCH's outbound event sockets, one per answering leg */
  readonly _server?: { on(event: 'connection::open', cb: (conn: { socket: Socket }) => void): void };
  connected(): boolean;
  api(command: string): Promise<string>;
  disconnect(): void;
  on(event: 'end' | 'error' | 'ready' | 'connect', cb: (err?: Error) => void): this;
}

export interface MrfConnectOptions {
  address: string;
  port: number;
  secret: string;
  listenAddress: string;
  listenPort: number;
  advertisedAddress: string;
  profile: string;
}

export interface FsMrf {
  connect(opts: MrfConnectOptions): Promise<FsMediaServer>;
}
