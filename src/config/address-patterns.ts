/**
 * Regular expressions for IP addresses and CIDRs, for the JSON Schema of the YAML (editors
 * cannot run node:net). The IPv6 one is RFC 3986's IPv6address grammar (§3.2.2) with the
 * zone index node:net also takes; a unit test compares them with node:net isIP and
 * src/util/cidr.ts on a list of good and bad values.
 */

const V4_OCTET = '(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4 = `${V4_OCTET}(\\.${V4_OCTET}){3}`;
const H16 = '[0-9A-Fa-f]{1,4}';
const LS32 = `(${H16}:${H16}|${IPV4})`;

/** `n` times "h16:" */
const h16s = (n: number) => (n === 0 ? '' : `(${H16}:){${n}}`);
/** [ *k( h16 ":" ) h16 ] */
const head = (k: number) => `((${H16}:){0,${k}}${H16})?`;

const IPV6_FORMS = [
  `${h16s(6)}${LS32}`,
  `::${h16s(5)}${LS32}`,
  `${head(0)}::${h16s(4)}${LS32}`,
  `${head(1)}::${h16s(3)}${LS32}`,
  `${head(2)}::${h16s(2)}${LS32}`,
  `${head(3)}::${h16s(1)}${LS32}`,
  `${head(4)}::${LS32}`,
  `${head(5)}::${H16}`,
  `${head(6)}::`,
];
const IPV6 = `(${IPV6_FORMS.join('|')})(%[0-9A-Za-z._~-]+)?`;

/** an IPv4 or IPv6 address */
export const IP_PATTERN = `^((${IPV4})|(${IPV6}))$`;
/** an address with an optional prefix length (/0-32, /0-128) */
export const CIDR_PATTERN = `^((${IPV4})(/(3[0-2]|[12]?\\d))?|(${IPV6})(/(12[0-8]|1[01]\\d|[1-9]?\\d))?)$`;
