import { describe, expect, it } from 'vitest';
import { profileAddress } from '../../../src/media/sofia-status';

// as mod_sofia prints it: "%25s\t%s\t  %40s\t%s (%u)"
const row = (name: string, type: string, data: string, state: string) => `${name.padStart(25)}\t${type}\t  ${data.padStart(40)}\t${state}`;
const STATUS = [
  row('Name', '   Type', 'Data', 'State'),
  '=================================================================================================',
  row('drachtio_mrf', 'profile', 'sip:mod_sofia@127.0.0.1:15080', 'RUNNING (0)'),
  row('drachtio_mrf_ipv6', 'profile', 'sip:mod_sofia@127.0.0.1:15082', 'RUNNING (2)'),
  row('v6sip', 'profile', 'sip:mod_sofia@[::1]:5090', 'RUNNING (0)'),
  row('tls_only', 'profile', 'sips:mod_sofia@127.0.0.1:5091', 'RUNNING (0) (TLS)'),
  row('stopped', 'profile', 'sip:mod_sofia@127.0.0.1:5092', 'DOWN (0)'),
  row('drachtio_mrf_ipv6.alias', '  alias', 'drachtio_mrf_ipv6', 'ALIASED'),
  '=================================================================================================',
  '5 profiles 1 alias',
].join('\n');

describe("FreeSWITCH's sofia status", () => {
  it('finds a running profile by its exact name', () => {
    expect(profileAddress(STATUS, 'drachtio_mrf_ipv6')).toBe('127.0.0.1:15082');
    expect(profileAddress(STATUS, 'drachtio_mrf')).toBe('127.0.0.1:15080');
    expect(profileAddress(STATUS, 'v6sip')).toBe('[::1]:5090');
  });

  it('nothing for a missing, stopped, TLS-only profile, an alias or an empty answer', () => {
    expect(profileAddress(STATUS, 'drachtio')).toBeNull();
    expect(profileAddress(STATUS, 'stopped')).toBeNull();
    expect(profileAddress(STATUS, 'tls_only')).toBeNull();
    expect(profileAddress(STATUS, 'drachtio_mrf_ipv6.alias')).toBeNull();
    expect(profileAddress('', 'drachtio_mrf_ipv6')).toBeNull();
  });
});
