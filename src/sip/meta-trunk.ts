/**
 * Meta's SIP rules (SPEC M1-M4, M9): how its INVITEs look and what we read from them.
 * Pure functions over header values, so they are unit-tested without a SIP stack.
 */

export interface MetaRequestUri {
  /** E.164 of the business number, with + */
  number: string;
  /** RFC 4904 user parameters (tgrp, trunk-context, ...) */
  userParams: Record<string, string>;
}

/**
 * `sip:+12145551869;tgrp=wacall;trunk-context=byoc.example.com@sip.example.com;transport=tls`
 * → { number: '+12145551869', userParams: { tgrp: 'wacall', 'trunk-context': 'byoc.example.com' } }
 */
export function parseMetaRequestUri(uri: string): MetaRequestUri | null {
  const m = /^sips?:([^@]+)@/i.exec(uri.trim());
  if (!m?.[1]) return null;
  const [user, ...params] = decodeURIComponent(m[1]).split(';');
  const digits = (user ?? '').replace(/^\+/, '');
  if (!/^[1-9]\d{6,14}$/.test(digits)) return null;
  const userParams: Record<string, string> = {};
  for (const p of params) {
    const [k, v] = p.split('=');
    if (k) userParams[k.toLowerCase()] = v ?? '';
  }
  return { number: `+${digits}`, userParams };
}

/** the user part of a SIP URI in a From / To / P-Asserted-Identity header, as E.164 if it is a number */
export function callerNumber(nameAddr: string | undefined): string | null {
  if (!nameAddr) return null;
  const m = /sips?:\+?(\d{6,15})@/i.exec(nameAddr);
  return m?.[1] ? `+${m[1]}` : null;
}

/**
 * The From user part when it is neither a phone number nor withheld: a business-scoped user
 * id Meta identifies the user by (`sip:US.1349...@wa.meta.vc`). Only URI-safe characters survive.
 */
export function callerUserId(nameAddr: string | undefined): string | null {
  const user = /sips?:([^@;>]+)@/i.exec(nameAddr ?? '')?.[1];
  if (!user || callerNumber(nameAddr) || /^anonymous$/i.test(user)) return null;
  const id = decodeURIComponentSafe(user).replace(/[^A-Za-z0-9._~+-]/g, '').slice(0, 128);
  return id || null;
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** `outgoing:wacid.HBgL...` → `HBgL...`; the x-wa-meta-wacid header wins when present */
export function wacidOf(callId: string, header: string | undefined): string | null {
  if (header) return header;
  const m = /wacid\.([^@\s]+)/.exec(callId);
  return m?.[1] ?? null;
}

const MAX_HEADER_VALUE = 1024;

/** header values copied to the other side lose CR/LF and are bounded in length */
export function safeHeaderValue(v: string): string {
  return v.replace(/[\r\n]+/g, ' ').slice(0, MAX_HEADER_VALUE);
}

/**
 * Meta's `x-wa-meta-*` headers and the Request-URI's trunk-group params as headers for
 * the PBX: `x-wa-meta-cta-payload` → `X-WA-Cta-Payload`, `tgrp` → `X-WA-Tgrp`.
 */
export function metaValuesAsHeaders(
  headers: Readonly<Record<string, string>>,
  userParams: Readonly<Record<string, string>>,
  prefix: string,
): Record<string, string> {
  const out: Record<string, string> = {};
  const title = (s: string) => s.split('-').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('-');
  for (const [name, value] of Object.entries(headers)) {
    const m = /^x-wa-meta-(.+)$/i.exec(name);
    if (m?.[1] && typeof value === 'string') out[prefix + title(m[1].toLowerCase())] = safeHeaderValue(value);
  }
  for (const [k, v] of Object.entries(userParams)) {
    if (/^[a-z0-9-]+$/i.test(k)) out[prefix + title(k)] = safeHeaderValue(v);
  }
  return out;
}
