/* eslint-disable @typescript-eslint/no-require-imports -- drachtio-srf's internals have no typings */

/**
 * drachtio-server's SIP stack (sofia-sip) is more lenient than drachtio-srf's own parser: a
 * Request-Line with two spaces between its parts (RFC 4475 §3.1.2.9, lwsstart) or with LWS
 * inside the URI (§3.1.2.8, lwsruri) passes the first and fails the second. drachtio-srf then
 * prints the whole message and a stack trace with console.error: unstructured lines on the
 * log stream, as many as a sender likes, carrying whatever the message carried (credentials
 * too). No answer goes back either way: drachtio-srf has no request object to answer with,
 * and drachtio-server forgets the request after 64 s.
 *
 * This edge shim keeps that drop but makes it quiet and visible like every other refusal:
 * `onUnparseable(address, transport)` is called instead (the caller counts it and logs a
 * rate-limited line without the message). It wraps drachtio-srf's private
 * DrachtioAgent#_onMsg once per process, for the Srf instances registered here; others keep
 * drachtio-srf's behaviour. The hostile-input integration test checks that the gateway's log
 * holds no unstructured line after the RFC 4475 messages.
 */
type OnMsg = (this: AgentLike, socket: unknown, msg: string) => void;

interface AgentLike {
  /** drachtio-srf's app (Srf#app): the agent is built with it */
  puntUpTheMiddleware: unknown;
}

export type OnUnparseable = (address: string, transport: string) => void;

const guarded = new WeakMap<object, OnUnparseable>();
let installed = false;

function install(): void {
  if (installed) return;
  installed = true;
  const Agent = require('drachtio-srf/lib/drachtio-agent') as { prototype: { _onMsg: OnMsg } };
  const parser = require('drachtio-srf/lib/sip-parser/parser') as { parseSipMessage(raw: string, lazy: boolean): object | undefined };
  const original = Agent.prototype._onMsg;
  Agent.prototype._onMsg = function guardedOnMsg(this: AgentLike, socket: unknown, msg: string): void {
    const hook = guarded.get(this.puntUpTheMiddleware as object);
    if (hook) {
      // the same split drachtio-srf makes: "<id>|sip|<source>|<length>|<transport>|<address>|..." CRLF <message>
      const pos = msg.indexOf('\r\n');
      const token = (pos < 0 ? msg : msg.slice(0, pos)).split('|');
      if (token[1] === 'sip' && pos >= 0 && !parser.parseSipMessage(msg.slice(pos + 2), true)) {
        hook(token[5] ?? 'unknown', token[4] ?? 'unknown');
        return;
      }
    }
    original.call(this, socket, msg);
  };
}

/** route the messages drachtio-srf cannot parse, for this Srf, to `onUnparseable`; call before connecting */
export function guardUnparseable(srf: { app: unknown }, onUnparseable: OnUnparseable): void {
  install();
  guarded.set(srf.app as object, onUnparseable);
}
