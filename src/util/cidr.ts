import { BlockList, isIP } from 'node:net';

/** A set of CIDR ranges, matched with Node's own BlockList. */
export interface AddressSet {
  has(address: string): boolean;
}

function splitCidr(cidr: string): { address: string; prefix: number; family: 4 | 6 } | null {
  const [address, prefixText, ...rest] = cidr.split('/');
  if (!address || rest.length) return null;
  const family = isIP(address);
  if (family !== 4 && family !== 6) return null;
  const max = family === 4 ? 32 : 128;
  // digits only: Number('') is 0, so "10.0.0.5/" would otherwise be /0, every address
  if (prefixText !== undefined && !/^(0|[1-9]\d{0,2})$/.test(prefixText)) return null;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (prefix > max) return null;
  return { address, prefix, family };
}

export function isValidCidr(cidr: string): boolean {
  return splitCidr(cidr) !== null;
}

export function addressSet(cidrs: readonly string[]): AddressSet {
  const list = new BlockList();
  for (const c of cidrs) {
    const parsed = splitCidr(c);
    if (!parsed) throw new Error(`invalid CIDR ${c}`);
    list.addSubnet(parsed.address, parsed.prefix, parsed.family === 4 ? 'ipv4' : 'ipv6');
  }
  return {
    has(address: string): boolean {
      const bare = address.replace(/^\[|\]$/g, '').replace(/^::ffff:(?=\d+\.)/, '');
      const family = isIP(bare);
      if (family === 0) return false;
      return list.check(bare, family === 4 ? 'ipv4' : 'ipv6');
    },
  };
}
