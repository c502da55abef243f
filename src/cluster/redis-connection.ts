import Redis from 'ioredis';
import type { RedisConfig } from '../config/types';
import type { Logger } from '../util/logger';

/** the commands the shared state uses: a fake in unit tests, ioredis in the gateway */
export interface RedisLike {
  eval(script: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
  set(key: string, value: string, px: 'PX', ms: number, nx: 'NX'): Promise<'OK' | null>;
}

/**
 * One connection to Redis for the state several gateway instances share (limits, used
 * digest nonces). A command never waits for Redis to come back: with no connection it fails
 * at once (no offline queue), and one that Redis does not answer within
 * `command_timeout_ms` fails then; the callers decide (fail open or closed) and resync when
 * `onReady` says Redis is back. Nothing is resent after a reconnect: a resent acquire would
 * count a call twice.
 */
export class RedisConnection {
  readonly client: Redis;
  /** the key prefix with its hash tag: every key of the gateway in one Redis Cluster slot */
  readonly prefix: string;
  private readonly readyListeners: (() => void)[] = [];
  private wasReady = false;

  constructor(cfg: RedisConfig, private readonly log: Logger) {
    this.prefix = `{${cfg.key_prefix}}`;
    this.client = new Redis({
      host: cfg.host,
      port: cfg.port,
      ...(cfg.password ? { password: cfg.password } : {}),
      lazyConnect: true,
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      maxRetriesPerRequest: 0,
      commandTimeout: cfg.command_timeout_ms,
      connectTimeout: Math.max(1000, cfg.command_timeout_ms * 4),
      // reconnect for ever, at most every 2 s
      retryStrategy: (attempt: number) => Math.min(200 * attempt, 2000),
    });
    this.client.on('ready', () => {
      this.log.info({ redis: `${cfg.host}:${cfg.port}`, again: this.wasReady }, 'connected to Redis');
      this.wasReady = true;
      for (const l of this.readyListeners) l();
    });
    // ioredis reports every failed reconnect here; the callers log what it means for calls
    this.client.on('error', () => undefined);
  }

  get ready(): boolean {
    return this.client.status === 'ready';
  }

  /** after every (re)connect */
  onReady(cb: () => void): void {
    this.readyListeners.push(cb);
  }

  /** first attempt; the gateway starts whether or not Redis answers (the callers fail open or closed) */
  async connect(): Promise<void> {
    try {
      await this.client.connect();
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'Redis not reachable at start; retrying');
    }
  }

  async close(): Promise<void> {
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }
}
