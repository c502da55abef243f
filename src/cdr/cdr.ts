import { createWriteStream, type WriteStream } from 'node:fs';
import type { Logger } from '../util/logger';

/** One JSON line per call (SPEC X4). Never holds a credential: only numbers, ids, times, causes. */
export interface CdrRecord {
  type: 'cdr';
  direction: 'user-initiated' | 'business-initiated';
  meta_call_id: string | null;
  pbx_call_id: string | null;
  wacid: string | null;
  business_number: string;
  whatsapp_user: string;
  pbx: string;
  pbx_destination: string;
  invite_at: string;
  answer_at: string | null;
  end_at: string;
  setup_ms: number | null;
  duration_s: number;
  ended_by: 'meta' | 'pbx' | 'gateway';
  cause: string;
  /** final SIP status of the call's first leg (200 when answered) */
  sip_status: number;
  /** Meta's x-wa-meta-call-duration from its BYE, when present */
  meta_call_duration_s: number | null;
  /** the Warning of a refused business-initiated call: Meta's, or the gateway's own (ended_by gateway) */
  meta_warning: string | null;
  media_server: string | null;
  /**
   * a blind transfer from the PBX (REFER) that completed: the target's extension, the Call-ID
   * of the gateway's INVITE to it, and when it answered; the last one if there were several.
   * `pbx_call_id` stays the call's first PBX leg.
   */
  transferred_to: string | null;
  transfer_pbx_call_id: string | null;
  transferred_at: string | null;
}

export interface CdrSink {
  write(record: CdrRecord): void;
  close(): Promise<void>;
}

/** the CDR sink as the composition root holds it */
export interface CdrOutput extends CdrSink {
  /** open the file again by its name (after logrotate moved it; SIGHUP) */
  reopen(): void;
  /** resolves once every line written so far is in the file (or dropped, which is logged) */
  idle(): Promise<void>;
}

export interface CdrFileOptions {
  /** while the file cannot be written, try to open it again this often */
  retryMs?: number;
  /** lines kept in memory while the file cannot be written; older ones are dropped beyond */
  maxPending?: number;
}

/**
 * CDR lines appended to a file that survives write errors: a failed open or write (disk
 * full, file system gone read-only, directory removed) is logged once, the lines that did not
 * make it are kept in memory (up to `maxPending`) and the file is opened again every `retryMs`
 * until it works, then they are written in order. `reopen()` is logrotate's SIGHUP.
 */
class CdrFile implements CdrOutput {
  private stream: WriteStream | null = null;
  /** lines not yet handed to a working stream */
  private pending: string[] = [];
  /** lines handed to a stream and not yet confirmed written, in order */
  private unconfirmed: { s: WriteStream; line: string }[] = [];
  private dropped = 0;
  private broken = false;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private waiters: (() => void)[] = [];

  constructor(private readonly file: string, private readonly log: Logger, private readonly retryMs: number, private readonly maxPending: number) {
    this.open();
  }

  write(record: CdrRecord): void {
    this.pending.push(`${JSON.stringify(record)}\n`);
    this.cap();
    this.flush();
  }

  reopen(): void {
    if (this.closed) return;
    const old = this.stream;
    this.stream = null;
    old?.end();
    this.open();
  }

  idle(): Promise<void> {
    if (this.settled()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    if (!this.broken) await this.idle();
    if (this.pending.length) this.log.error({ file: this.file, lines: this.pending.length }, 'CDR lines lost at shutdown: the file could not be written');
    const s = this.stream;
    this.stream = null;
    if (s && !s.destroyed) await new Promise<void>((resolve) => s.end(resolve));
  }

  private open(): void {
    clearTimeout(this.timer);
    const s = createWriteStream(this.file, { flags: 'a' });
    this.stream = s;
    s.on('error', (err) => this.failed(s, err));
    s.once('open', () => {
      if (this.stream !== s) return;
      if (this.broken) {
        this.broken = false;
        this.log.warn({ file: this.file, pending: this.pending.length, dropped: this.dropped }, 'CDR file writable again');
        this.dropped = 0;
      }
      this.flush();
    });
  }

  private flush(): void {
    const s = this.stream;
    // before 'open' the stream buffers; a stream known to be broken gets nothing
    if (!s || this.broken || s.destroyed) return this.notify();
    for (const line of this.pending.splice(0)) {
      const entry = { s, line };
      this.unconfirmed.push(entry);
      s.write(line, (err) => {
        // a failed line stays listed: failed() puts it back in front of the pending ones
        if (!err) this.unconfirmed.splice(this.unconfirmed.indexOf(entry), 1);
        this.notify();
      });
    }
  }

  private failed(s: WriteStream, err: Error): void {
    s.destroy();
    const lost = this.unconfirmed.filter((u) => u.s === s);
    this.unconfirmed = this.unconfirmed.filter((u) => u.s !== s);
    this.pending.unshift(...lost.map((u) => u.line));
    this.cap();
    if (this.stream !== s) return this.flush(); // an old stream, after reopen(): its lines go to the new one
    this.stream = null;
    if (!this.broken) {
      this.broken = true;
      this.log.error({ file: this.file, err: err.message }, `CDR file cannot be written: lines are kept in memory (up to ${this.maxPending}) and it is opened again every ${this.retryMs} ms`);
    }
    if (!this.closed) this.timer = setTimeout(() => this.open(), this.retryMs);
    this.notify();
  }

  /** beyond maxPending the oldest lines go (counted, and logged when the file works again) */
  private cap(): void {
    const excess = this.pending.length - this.maxPending;
    if (excess <= 0) return;
    this.pending.splice(0, excess);
    this.dropped += excess;
  }

  private settled(): boolean {
    return this.unconfirmed.length === 0 && (this.pending.length === 0 || this.closed);
  }

  private notify(): void {
    if (!this.settled()) return;
    for (const w of this.waiters.splice(0)) w();
  }
}

/** stdout (no file): nothing to reopen */
function stdoutSink(): CdrOutput {
  return {
    write: (record) => void process.stdout.write(`${JSON.stringify(record)}\n`),
    close: () => Promise.resolve(),
    reopen: () => undefined,
    idle: () => Promise.resolve(),
  };
}

export function createCdrSink(file: string, log: Logger, opts: CdrFileOptions = {}): CdrOutput {
  return file ? new CdrFile(file, log, opts.retryMs ?? 5000, opts.maxPending ?? 10_000) : stdoutSink();
}
