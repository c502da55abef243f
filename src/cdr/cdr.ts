import { createWriteStream, type WriteStream } from 'node:fs';

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
  /** Meta's Warning text on a failed business-initiated call */
  meta_warning: string | null;
  media_server: string | null;
}

export interface CdrSink {
  write(record: CdrRecord): void;
  close(): Promise<void>;
}

export function createCdrSink(file: string): CdrSink {
  const stream: WriteStream | NodeJS.WriteStream = file ? createWriteStream(file, { flags: 'a' }) : process.stdout;
  return {
    write(record) {
      stream.write(`${JSON.stringify(record)}\n`);
    },
    close() {
      if (stream === process.stdout) return Promise.resolve();
      return new Promise((resolve) => (stream as WriteStream).end(resolve));
    },
  };
}
