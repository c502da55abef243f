import { clip } from '../util/clip';
import { reject, type Rejection } from './errors';

/**
 * What RFC 3261 §8.2 asks a UAS to check before it acts on a request, as pure functions:
 * the method (§8.2.1: 405 with Allow, 501), the Request-URI scheme (§8.2.2.1: 416) and the
 * option-tags of Require (§8.2.2.3: 420 with Unsupported). Used for INVITE before admission
 * and for every other request that reaches us outside a dialog (src/sip/out-of-dialog.ts).
 */

/**
 * What the gateway takes: INVITE and OPTIONS outside a dialog, and in a dialog ACK, BYE,
 * CANCEL, re-INVITE, INFO (the PBX's DTMF), UPDATE (the PBX's session changes) and REFER
 * (the PBX's blind transfers).
 */
export const ALLOW = 'INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, REFER';

/**
 * Option-tags a `Require` may name (RFC 3261 §19.2). None: `100rel` would oblige us to send
 * reliable provisionals (we never do), `timer` a Session-Expires in our answers (RFC 4028:
 * we send none), `replaces` to take INVITE-with-Replaces (we do not), `path` is for
 * registrars. So `Require: <anything>` gets 420; a `Supported:` list costs nothing and is ignored.
 */
export const SUPPORTED_OPTION_TAGS: readonly string[] = [];

/** Request-URI schemes we route (RFC 3261 §8.2.2.1); a `tel:` URI has no host to route by, so it is 416 too */
export const SUPPORTED_SCHEMES: readonly string[] = ['sip', 'sips'];

export type MethodClass =
  /** routed to admission */
  | 'invite'
  /** answered 200 to Meta and configured PBXs */
  | 'options'
  /** in Allow but taken only inside a dialog: 481 (RFC 3261 §12.2.2; RFC 3311, 6086, 3515) */
  | 'dialog-only'
  /** a method we know and do not take: 405 with Allow (RFC 3261 §8.2.1) */
  | 'not-allowed'
  /** a method we do not know: 501 (RFC 3261 §8.2.1) */
  | 'unknown';

const CLASSES: Record<string, MethodClass> = {
  INVITE: 'invite',
  OPTIONS: 'options',
  BYE: 'dialog-only',
  INFO: 'dialog-only',
  UPDATE: 'dialog-only',
  REFER: 'dialog-only',
  CANCEL: 'dialog-only',
  // never answered: drachtio-server matches it to its INVITE transaction or drops it
  ACK: 'dialog-only',
  // we are no registrar, notifier, subscriber, presence agent or message store
  REGISTER: 'not-allowed',
  SUBSCRIBE: 'not-allowed',
  NOTIFY: 'not-allowed',
  PUBLISH: 'not-allowed',
  MESSAGE: 'not-allowed',
  // no 100rel (see SUPPORTED_OPTION_TAGS), so no PRACK either
  PRACK: 'not-allowed',
};

/** methods are case-sensitive (RFC 3261 §7.1): `invite` is not INVITE */
export function classifyMethod(method: string): MethodClass {
  return Object.prototype.hasOwnProperty.call(CLASSES, method) ? CLASSES[method]! : 'unknown';
}

/** the scheme of a URI, lower-cased; null when it has none (not an absolute URI) */
export function uriScheme(uri: string): string | null {
  return /^([a-z][a-z0-9+.-]*):/i.exec(uri.trim())?.[1]?.toLowerCase() ?? null;
}

/** the option-tags of a Require value (repeated headers arrive comma-joined) that we do not support */
export function unsupportedOptionTags(require: string | undefined): string[] {
  if (!require) return [];
  const tags = require.split(',').map((t) => t.trim()).filter(Boolean);
  const supported = new Set(SUPPORTED_OPTION_TAGS.map((t) => t.toLowerCase()));
  return [...new Set(tags.filter((t) => !supported.has(t.toLowerCase())))];
}

export interface RequestLine {
  readonly method: string;
  readonly uri: string;
  get(name: string): string | undefined;
}

/** the Request-URI and Require checks of RFC 3261 §8.2.2, in its order: 400 / 416, then 420 */
export function checkExtensions(req: RequestLine): Rejection | null {
  const scheme = uriScheme(req.uri);
  if (scheme === null) return reject('BAD_REQUEST_URI_SYNTAX', `Request-URI ${JSON.stringify(clip(req.uri))} has no scheme`);
  if (!SUPPORTED_SCHEMES.includes(scheme)) {
    return reject('UNSUPPORTED_URI_SCHEME', `Request-URI scheme ${JSON.stringify(clip(scheme))}`);
  }
  const unsupported = unsupportedOptionTags(req.get('Require'));
  if (unsupported.length) {
    const list = unsupported.join(', ');
    return reject('BAD_EXTENSION', `Require: ${clip(list)}`, { Unsupported: list });
  }
  return null;
}

/**
 * The answer to a request outside a dialog other than INVITE, from a source we talk to
 * (RFC 3261 §8.2 order: method, then Request-URI and Require, then the method's own rule):
 * a Rejection, or 'ok' for an OPTIONS we answer 200.
 */
export function outOfDialogAnswer(req: RequestLine): Rejection | 'ok' {
  const kind = classifyMethod(req.method);
  if (kind === 'unknown') return reject('NOT_IMPLEMENTED', `method ${JSON.stringify(clip(req.method))}`);
  if (kind === 'not-allowed') return reject('METHOD_NOT_ALLOWED', `${req.method} outside a dialog`, { Allow: ALLOW });
  const bad = checkExtensions(req);
  if (bad) return bad;
  if (kind === 'dialog-only') return reject('NO_DIALOG', `${req.method} outside a dialog`);
  if (kind === 'invite') return reject('INTERNAL', 'INVITE belongs to the INVITE router');
  return 'ok';
}
