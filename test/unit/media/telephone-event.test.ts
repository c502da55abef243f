import { describe, expect, it, vi } from 'vitest';
import { offeredTelephoneEventPt, TelephoneEventCheck } from '../../../src/media/telephone-event';
import type { Logger } from '../../../src/util/logger';

/** an offer as FreeSWITCH 1.10.12 makes it toward the PBX (sofia profile rfc2833-pt 101) */
const FS_OFFER = [
  'v=0', 'o=FreeSWITCH 1 2 IN IP4 127.0.0.1', 's=FreeSWITCH', 'c=IN IP4 127.0.0.1', 't=0 0',
  'm=audio 31000 RTP/AVP 0 101', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-15', 'a=ptime:20', 'a=sendrecv', '',
].join('\r\n');

function check() {
  const warn = vi.fn();
  return { warn, c: new TelephoneEventCheck({ warn } as unknown as Logger) };
}

describe('telephone-event payload type of an offer', () => {
  it('reads it from the rtpmap, null when there is none', () => {
    expect(offeredTelephoneEventPt(FS_OFFER)).toBe(101);
    expect(offeredTelephoneEventPt(FS_OFFER.replace('a=rtpmap:101 telephone-event/8000\r\n', ''))).toBeNull();
  });

  it('says nothing when the offer carries the configured type, or none is configured', () => {
    const { warn, c } = check();
    c.check('fs1', 'drachtio_mrf', 101, FS_OFFER);
    c.check('fs1', 'drachtio_mrf', undefined, FS_OFFER);
    expect(warn).not.toHaveBeenCalled();
  });

  it('warns once per server and mismatch that FreeSWITCH sets it per profile', () => {
    const { warn, c } = check();
    for (let i = 0; i < 3; i++) c.check('fs1', 'drachtio_mrf', 96, FS_OFFER);
    c.check('fs2', 'drachtio_mrf', 96, FS_OFFER);
    c.check('fs1', 'drachtio_mrf', 100, FS_OFFER);
    expect(warn).toHaveBeenCalledTimes(3);
    expect(warn.mock.calls[0]![0]).toEqual({ server: 'fs1', profile: 'drachtio_mrf', dtmf_payload_type: 96, offered: 101 });
    expect(warn.mock.calls[0]![1]).toMatch(/payload type 101, not the configured dtmf_payload_type 96: .*rfc2833-pt in drachtio_mrf/);
  });

  it('warns when the offer has no telephone-event at all', () => {
    const { warn, c } = check();
    c.check('fs1', 'drachtio_mrf', 101, FS_OFFER.replace('a=rtpmap:101 telephone-event/8000\r\n', ''));
    expect(warn.mock.calls[0]![1]).toMatch(/no telephone-event/);
  });
});
