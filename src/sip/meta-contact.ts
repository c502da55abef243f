import { isIP } from 'node:net';
import { bareHost, parseHostports, type TransportHostport } from '../util/sip-uri';
import type { SipSignaling, SrfRequest } from './srf-types';

/**
 * Our Contact toward Meta: `<sip:host:port;transport=tls>`, as in Meta's own examples
 * (meta-docs: `<sip:mod_sofia@137.184.87.1:35181;transport=tls;...>`), not the `sips:` URI
 * drachtio-server would put there. drachtio-server takes its Contact's scheme from its
 * `--contact`, and its TLS listener must be a `sips:` contact (sofia opens no TLS listener for
 * `sip:...;transport=tls`: "Protocol not supported"). So the gateway sets the Contact itself:
 * drachtio's own TLS listener (as drachtio reports it on connect, with its --external-ip),
 * with the `sip:` scheme. drachtio-server uses a Contact the application sets, for the
 * message and as the dialog's local target.
 */
export class MetaContact {
  private tls: TransportHostport[] = [];

  /** drachtio-server's hostports, from its connect event (`tcp/1.2.3.4:5060,tls/1.2.3.4:5061,tls/[::1]:5061`) */
  setHostports(list: string): void {
    this.tls = parseHostports(list).filter((h) => h.transport === 'tls');
  }

  /**
   * for our answer to a request that reached drachtio's listener `receivedOn` (`host:port`):
   * drachtio's address for that listener (its external address, if it has one)
   */
  forAnswer(receivedOn: string | undefined): string | null {
    const m = receivedOn ? /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(receivedOn) : null;
    if (!m) return this.forRequest();
    const [, host, port] = m as unknown as [string, string, string];
    const family = isIP(bareHost(host));
    const listener = this.tls.find((h) => String(h.port) === port && isIP(bareHost(h.host)) === family)
      ?? this.tls.find((h) => String(h.port) === port);
    return contact(listener?.host ?? host, listener?.port ?? Number(port));
  }

  /** for a request we send to Meta: drachtio's IPv4 TLS listener, else its first one */
  forRequest(): string | null {
    const hp = this.tls.find((h) => isIP(bareHost(h.host)) === 4) ?? this.tls[0];
    return hp ? contact(hp.host, hp.port) : null;
  }
}

function contact(host: string, port: number): string | null {
  if (host === '0.0.0.0' || host === '[::]') return null; // no address to give: leave it to drachtio-server
  return `<sip:${host}:${port};transport=tls>`;
}

function withContact<T extends { headers?: Record<string, string> }>(opts: T, value: string | null): T {
  if (!value || Object.keys(opts.headers ?? {}).some((k) => k.toLowerCase() === 'contact')) return opts;
  return { ...opts, headers: { ...opts.headers, Contact: value } };
}

type UasArgs = Parameters<SipSignaling['createUAS']>;
type UacArgs = Parameters<SipSignaling['createUAC']>;

/** `sip` with `name` replaced by `fn`, every other member passed through */
function overriding<K extends keyof SipSignaling>(sip: SipSignaling, name: K, fn: SipSignaling[K]): SipSignaling {
  return new Proxy(sip, {
    get(target, prop, receiver) {
      if (prop === name) return fn;
      const v: unknown = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/** signalling of a call from Meta: our 200 OK to Meta's `invite` carries our Contact */
export function answeringMeta(sip: SipSignaling, contact: MetaContact, invite: SrfRequest): SipSignaling {
  return overriding(sip, 'createUAS', (req: UasArgs[0], res: UasArgs[1], opts: UasArgs[2]) =>
    sip.createUAS(req, res, req === invite ? withContact(opts, contact.forAnswer(receivedOn(req))) : opts));
}

/** signalling of a call to Meta: the INVITEs we send carry our Contact */
export function callingMeta(sip: SipSignaling, contact: MetaContact): SipSignaling {
  return overriding(sip, 'createUAC', (uri: UacArgs[0], opts: UacArgs[1], cbs?: UacArgs[2]) => sip.createUAC(uri, withContact(opts, contact.forRequest()), cbs));
}

/** drachtio-srf's `receivedOn` (`host:port` of drachtio's listener), missing from our request typings */
function receivedOn(req: SrfRequest): string | undefined {
  const v = (req as unknown as { receivedOn?: unknown }).receivedOn;
  return typeof v === 'string' ? v : undefined;
}
