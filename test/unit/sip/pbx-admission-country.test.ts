import { describe, expect, it } from 'vitest';
import { DigestServer } from '../../../src/auth/digest-server';
import type { BusinessNumber } from '../../../src/config/types';
import { REJECTIONS } from '../../../src/sip/errors';
import type { InviteView } from '../../../src/sip/invite-view';
import { PbxAdmission } from '../../../src/sip/pbx-admission';
import { pbxTarget } from '../../support/config-fixtures';
import { pbxSdp } from '../../support/sdp';

/** agent calls from a business number of a country where Meta offers no business-initiated calling (issue 15) */
const digest = new DigestServer({ realm: 'gw.example.com', ttlSeconds: 30 });

function admit(business: BusinessNumber) {
  const pbx = pbxTarget({ business_number: business.number, transport: 'tcp' });
  const a = new PbxAdmission([pbx], [business], digest, 'sip.example.com');
  const view: InviteView = {
    uri: 'sip:+447700900123@gw.example.com', method: 'INVITE', protocol: 'tcp', source_address: '10.0.0.5',
    callId: 'pbx-call-1', body: pbxSdp({ ip: '10.0.0.5', port: 4000 }), headers: {}, get: () => undefined,
  };
  return a.admit(view, pbx);
}

describe('the country rule in admission', () => {
  it('a US number with country_rule refuse: 403 with a plain-words Warning, before anything else is made', () => {
    const r = admit({ number: '+12145551869', sip_password: 'pw', routes: [], country_rule: 'refuse' });
    expect(r).toMatchObject({
      code: 'BUSINESS_CALLING_UNAVAILABLE',
      headers: { Warning: '399 sip.example.com "Meta offers no business-initiated calls from business numbers of the USA or Canada (+1)"' },
    });
    expect(REJECTIONS.BUSINESS_CALLING_UNAVAILABLE).toEqual({ status: 403, reason: 'Business Calling Unavailable' });
  });

  it('the same number with country_rule allow, and a UK number, are admitted', () => {
    expect(admit({ number: '+12145551869', sip_password: 'pw', routes: [], country_rule: 'allow' })).toMatchObject({ dialed: '+447700900123' });
    expect(admit({ number: '+442071230000', sip_password: 'pw', routes: [], country_rule: 'refuse' })).toMatchObject({ dialed: '+447700900123' });
    expect(admit({ number: '+2348035550100', sip_password: 'pw', routes: [], country_rule: 'refuse' })).toMatchObject({ code: 'BUSINESS_CALLING_UNAVAILABLE' });
  });
});
