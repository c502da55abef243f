import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { inboundCall, outboundCall } from './flow-bed';

/**
 * Issue 9, item 5: the session asks the media layer to bridge the legs as soon as both exist,
 * before the far side is dialed (FreeSWITCH then holds the offering leg in early media where it
 * can; src/media/fs-dialog-leg.ts), and takes the bridge's outcome once the far side answers.
 */

beforeEach(() => { vi.useFakeTimers(); });
afterEach(() => { vi.useRealTimers(); });

describe('bridging before the far side answers', () => {
  it('a WhatsApp user\'s call: the Meta leg is bridged early with the PBX leg before the PBX is INVITEd', async () => {
    const bed = inboundCall();
    await bed.sip.nextUac();
    expect(bed.media.byTag('meta').earlyWith).toBe(bed.media.byTag('pbx').id);
    expect(bed.media.byTag('meta').bridgedTo).toBeNull();
  });

  it('an agent\'s call: the PBX leg is bridged early with the Meta leg before Meta is INVITEd', async () => {
    const bed = outboundCall();
    await bed.sip.nextUac();
    expect(bed.media.byTag('pbx').earlyWith).toBe(bed.media.byTag('meta').id);
  });
});
