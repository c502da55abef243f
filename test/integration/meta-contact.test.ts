import { describe, expect, it } from 'vitest';
import { pbxSdp } from '../support/sdp';
import { header, uriOf } from '../support/sip/message';
import { TEST_BED } from '../support/servers';
import { establishInbound } from './flows';
import { testBed, useCallBed } from './harness';

/**
 * Issue 10: our Contact toward Meta is `sip:...;transport=tls`, as in Meta's own examples
 * (meta-docs/sip-guide-excerpt-with-sample-messages.txt: `<sip:mod_sofia@137.184.87.1:35181;transport=tls;...>`),
 * not `sips:`: in the 200 OK to Meta's INVITE and in our INVITE to Meta. drachtio-server
 * builds it from the scheme of its TLS --contact.
 */
const tlsContact = new RegExp(`^sip:${TEST_BED.drachtio.sipHost.replace(/\./g, '\\.')}:${TEST_BED.drachtio.tlsPort};transport=tls$`);

describe.skipIf(!testBed)('our Contact toward Meta', () => {
  const bed = useCallBed('meta-contact');

  it('the 200 OK to Meta: sip: with transport=tls', async () => {
    const c = await establishInbound(bed.meta, bed.pbx, bed.rtp);
    const contact = uriOf(header(c.ok, 'Contact')!);
    const bye = await bed.meta.request(bed.meta.inDialog(c.metaDialog, 'BYE'));
    expect(bye.status).toBe(200);
    expect(contact).toMatch(tlsContact);
  });

  it('our INVITE to Meta: sip: with transport=tls', async () => {
    const inv = bed.pbx.buildInvite('+12195550714', pbxSdp({ ip: TEST_BED.pbx.host, port: 41000 }));
    bed.pbx.send(inv);
    const atMeta = await bed.meta.nextInvite();
    bed.meta.reject(atMeta, 486, 'Busy Here');
    await bed.pbx.waitResponse(header(inv, 'Call-ID')!, 101, (s) => s >= 200);
    expect(uriOf(header(atMeta.msg, 'Contact')!)).toMatch(tlsContact);
  });
});
