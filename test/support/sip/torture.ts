import type { Transport } from './raw-exchange';

/**
 * What a test changes in an RFC 4475 message before it sends it, and nothing else:
 * - the Call-ID gets a suffix, so that the same message sent again (another transport,
 *   another source) is a new transaction, not a retransmission of the last one;
 * - the top Via names the transport the message travels on: the RFC's messages mostly say
 *   UDP, and a SIP stack drops a request whose top Via disagrees with its transport before
 *   it parses anything else (sofia-sip: "Via check: invalid transport"), which would test
 *   nothing of the message.
 * The body and Content-Length are untouched (both changes are in the header block).
 */
export function adapt(bytes: Buffer, transport: Transport, callIdSuffix: string): Buffer {
  const text = bytes.toString('latin1');
  const split = text.indexOf('\r\n\r\n');
  const head = split >= 0 ? text.slice(0, split) : text;
  const rest = split >= 0 ? text.slice(split) : '';
  const withCallId = head.replace(/^((?:call-id|i)[ \t]*:.*?)([ \t]*)$/gim, (_m, line: string, trailing: string) => `${line}.${callIdSuffix}${trailing}`);
  const withVia = withCallId.replace(
    /^((?:via|v)[ \t]*:\s*SIP\s*\/\s*2\.0\s*\/\s*)([A-Za-z0-9-]+)/im,
    (_m, before: string) => `${before}${transport.toUpperCase()}`,
  );
  return Buffer.from(withVia + rest, 'latin1');
}
