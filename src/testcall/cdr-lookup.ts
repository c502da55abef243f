import { readFile } from 'node:fs/promises';

/**
 * The gateway's CDR line of a call (src/cdr/cdr.ts), from its cdr.file: the gateway writes
 * it when the call has ended, so the file is read again every 200 ms until the line is
 * there or `timeoutMs` has passed. Returns the record, or a sentence saying why there is none.
 */
export async function readCdr(file: string, metaCallId: string, timeoutMs: number): Promise<Record<string, unknown> | string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      return `cannot read the CDR file ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`;
    }
    const found = findLine(text, metaCallId);
    if (found) return found;
    if (Date.now() >= deadline) return `no CDR line for ${metaCallId} in ${file} within ${timeoutMs} ms`;
    await new Promise((r) => setTimeout(r, 200));
  }
}

function findLine(text: string, metaCallId: string): Record<string, unknown> | null {
  for (const line of text.split('\n').reverse()) {
    if (!line.includes(metaCallId)) continue;
    try {
      const rec = JSON.parse(line) as Record<string, unknown>;
      if (rec.meta_call_id === metaCallId) return rec;
    } catch {
      // a line being written
    }
  }
  return null;
}
