/**
 * Reading FreeSWITCH's `sofia status` (mod_sofia.c: `%25s\t%s\t  %40s\t%s (%u)` per profile):
 *
 *                      Name	   Type	                                      Data	State
 *              drachtio_mrf	profile	            sip:mod_sofia@127.0.0.1:5080	RUNNING (0)
 *         drachtio_mrf_ipv6	profile	            sip:mod_sofia@127.0.0.1:5082	RUNNING (0)
 */

/** the SIP address (`127.0.0.1:5082`, `[::1]:5082`) of a running profile named `profile`, or null */
export function profileAddress(status: string, profile: string): string | null {
  for (const line of status.split('\n')) {
    const [name, type, data, state] = line.split('\t').map((f) => f.trim());
    if (name !== profile || type !== 'profile' || !state?.startsWith('RUNNING')) continue;
    const m = /^sips?:[^@\s]+@(\[[0-9a-fA-F:.]+\]:\d+|[^:;\s]+:\d+)/.exec(data ?? '');
    if (m && !/\(TLS\)/.test(state)) return m[1]!;
  }
  return null;
}
