import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createCdrSink, type CdrRecord } from '../../../src/cdr/cdr';
import type { Logger } from '../../../src/util/logger';

/** The CDR file on a real file system: logrotate's SIGHUP, a full disk, a missing directory. */

function record(id: string): CdrRecord {
  return {
    type: 'cdr', direction: 'user-initiated', meta_call_id: id, pbx_call_id: null, wacid: null, business_number: '+12145551869',
    whatsapp_user: '+12195550714', pbx: 'main', pbx_destination: '1001', invite_at: '2025-01-01T00:00:00.000Z', answer_at: null,
    end_at: '2025-01-01T00:00:01.000Z', setup_ms: null, duration_s: 0, ended_by: 'meta', cause: 'cancel', sip_status: 487,
    meta_call_duration_s: null, meta_warning: null, media_server: null, transferred_to: null, transfer_pbx_call_id: null, transferred_at: null,
  };
}

/** a logger that records its calls; `errored` resolves at the first error line */
function fakeLog() {
  let onError: () => void = () => undefined;
  const errored = new Promise<void>((resolve) => { onError = resolve; });
  const log = { error: vi.fn((..._args: unknown[]) => onError()), warn: vi.fn(), info: vi.fn() };
  return { log, logger: log as unknown as Logger, errored };
}

function ids(file: string): string[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as CdrRecord).meta_call_id ?? '');
}

const dirs: string[] = [];
const dir = () => { const d = mkdtempSync(join(tmpdir(), 'wa-gw-cdr-')); dirs.push(d); return d; };
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });
const hasDevFull = existsSync('/dev/full');

describe('CDR file', () => {
  it('appends one JSON line per call', async () => {
    const file = join(dir(), 'cdr.jsonl');
    const { logger } = fakeLog();
    const sink = createCdrSink(file, logger);
    sink.write(record('a'));
    sink.write(record('b'));
    await sink.idle();
    expect(ids(file)).toEqual(['a', 'b']);
    await sink.close();
  });

  it('reopen() after logrotate moved the file: old lines stay in the rotated file, new ones go to a new file', async () => {
    const file = join(dir(), 'cdr.jsonl');
    const { logger } = fakeLog();
    const sink = createCdrSink(file, logger);
    sink.write(record('before'));
    await sink.idle();
    renameSync(file, `${file}.1`);
    sink.write(record('after-move')); // still the moved file: nobody has said so yet
    await sink.idle();
    sink.reopen();
    sink.write(record('after-hup'));
    await sink.idle();
    expect(ids(`${file}.1`)).toEqual(['before', 'after-move']);
    expect(ids(file)).toEqual(['after-hup']);
    await sink.close();
  });

  it.skipIf(!hasDevFull)('a write error (disk full) is logged once, the lines are kept and written once the file works again', async () => {
    const d = dir();
    const file = join(d, 'cdr.jsonl');
    symlinkSync('/dev/full', file); // every write fails with ENOSPC
    const { log, logger, errored } = fakeLog();
    const sink = createCdrSink(file, logger, { retryMs: 60_000 });
    sink.write(record('a'));
    sink.write(record('b'));
    await errored;
    sink.write(record('c'));
    expect(log.error.mock.calls[0]![0]).toMatchObject({ file, err: expect.stringContaining('ENOSPC') });
    unlinkSync(file); // the operator frees the disk (here: a real file takes the link's place)
    sink.reopen();
    await sink.idle();
    expect(ids(file)).toEqual(['a', 'b', 'c']);
    expect(log.error).toHaveBeenCalledTimes(1);
    expect(log.warn).toHaveBeenCalledWith(expect.objectContaining({ file, pending: 3, dropped: 0 }), 'CDR file writable again');
    await sink.close();
  });

  it('a file that cannot be opened is retried on its own; lines beyond maxPending are dropped and counted', async () => {
    const d = join(dir(), 'not-yet');
    const file = join(d, 'cdr.jsonl');
    const { log, logger, errored } = fakeLog();
    const sink = createCdrSink(file, logger, { retryMs: 20, maxPending: 2 });
    await errored;
    expect(log.error.mock.calls[0]![0]).toMatchObject({ err: expect.stringContaining('ENOENT') });
    for (const id of ['a', 'b', 'c']) sink.write(record(id));
    mkdirSync(d);
    await sink.idle(); // resolves once a retry has opened the file and written the kept lines
    expect(ids(file)).toEqual(['b', 'c']);
    expect(log.warn).toHaveBeenCalledWith(expect.objectContaining({ dropped: 1 }), 'CDR file writable again');
    await sink.close();
  });

  it('close() while the file cannot be written resolves, and says how many lines were lost', async () => {
    const file = join(dir(), 'missing', 'cdr.jsonl');
    const { log, logger, errored } = fakeLog();
    const sink = createCdrSink(file, logger, { retryMs: 60_000 });
    sink.write(record('a'));
    await errored;
    await sink.close();
    expect(log.error).toHaveBeenLastCalledWith(expect.objectContaining({ lines: 1 }), expect.stringContaining('lost at shutdown'));
  });
});
