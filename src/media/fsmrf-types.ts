import type { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type Srf from 'drachtio-srf';

/**
 * Our own typings for the parts of drachtio-fsmrf 4.1.2 we use (it ships none). The
 * integration suite runs them against the real library. Only src/media imports fsmrf.
 */

export interface FsEndpoint extends EventEmitter {
  readonly uuid: string;
  readonly local: { sdp: string; mediaIp?: string; mediaPort?: string };
  readonly remote: { sdp: string };
  readonly dialog: Srf.Dialog;
  /** the outbound event socket of this channel (null once it closed) */
  readonly conn: {
    on(event: string, cb: (evt: { getHeader(name: string): string | undefined }) => void): void;
    subscribe(events: string): void;
  } | null;
  modify(sdp: string): Promise<unknown>;
  bridge(other: FsEndpoint | string): Promise<void>;
  destroy(): Promise<void>;
  execute(app: string, arg?: string): Promise<unknown>;
  api(command: string, args?: string | string[]): Promise<{ getBody(): string }>;
  on(event: 'destroy', cb: () => void): this;
}

export interface PendingConnection {
  dialog?: Srf.Dialog;
  conn?: unknown;
  connTimeout?: NodeJS.Timeout;
  fn?: (conn: unknown) => void;
}

export interface FsMediaServer extends EventEmitter {
  readonly address: string;
  readonly advertisedAddress: string;
  readonly advertisedPort: number;
  readonly sip: { ipv4: { udp: { address?: string } } };
  readonly srf: Srf;
  readonly pendingConnections: Map<string, PendingConnection>;
  currentSessions: number;
  maxSessions: number;
  /** the inbound event socket (ours → FreeSWITCH) */
  readonly conn: { bgapi(command: string): void; readonly socket: Socket };
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

export type FsEndpointCtor = new (conn: unknown, dialog: Srf.Dialog, ms: FsMediaServer, opts: object) => FsEndpoint;
