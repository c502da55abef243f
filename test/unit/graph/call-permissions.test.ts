import { describe, expect, it } from 'vitest';
import { exhausted, graphError, messagesUrl, parsePermissionState, permissionRequestBody, permissionsUrl } from '../../../src/graph/call-permissions';

const T = { baseUrl: 'https://graph.facebook.com', version: 'v21.0' };

/** the reference's sample (api-and-webhook-reference.txt), its trailing commas and extra brace removed */
const SAMPLE = '{"messaging_product":"whatsapp","permission":{"status":"temporary","expiration_time":1745343479},"actions":['
  + '{"action_name":"send_call_permission_request","can_perform_action":true,"limits":[{"time_period":"PT24H","max_allowed":1,"current_usage":0},{"time_period":"P7D","max_allowed":2,"current_usage":1}]},'
  + '{"action_name":"start_call","can_perform_action":false,"limits":[{"time_period":"PT24H","max_allowed":5,"current_usage":5,"limit_expiration_time":1745622600}]}]}';

describe("Meta's call permission API", () => {
  it('reads the reference sample: permission, both actions, their limits, the lift time only where a limit is used up', () => {
    const s = parsePermissionState(SAMPLE);
    expect(s).toEqual({
      status: 'temporary', expiresAt: 1745343479,
      actions: {
        send_call_permission_request: { canPerform: true, limits: [{ period: 'PT24H', max: 1, used: 0, liftsAt: null }, { period: 'P7D', max: 2, used: 1, liftsAt: null }] },
        start_call: { canPerform: false, limits: [{ period: 'PT24H', max: 5, used: 5, liftsAt: 1745622600 }] },
      },
    });
    if (typeof s === 'string') throw new Error(s);
    expect(exhausted(s.actions.start_call)).toHaveLength(1);
    expect(exhausted(s.actions.send_call_permission_request)).toHaveLength(0);
  });

  it("takes the parameter table's `expiration` too, and no expiry for a permission without one", () => {
    expect(parsePermissionState('{"permission":{"status":"temporary","expiration":1700000000},"actions":[]}')).toMatchObject({ expiresAt: 1700000000 });
    expect(parsePermissionState('{"permission":{"status":"no_permission"},"actions":[]}')).toMatchObject({ status: 'no_permission', expiresAt: null });
  });

  it('says what is wrong with an answer it cannot use', () => {
    expect(parsePermissionState('<html>')).toBe('not JSON');
    expect(parsePermissionState('{"actions":[]}')).toBe('no permission.status');
    expect(parsePermissionState('{"permission":{"status":"temporary"}}')).toBe('no actions');
    expect(parsePermissionState('{"permission":{"status":"temporary"},"actions":[{"action_name":"start_call"}]}')).toBe('an action without action_name or can_perform_action');
  });

  it('asks for the user as a wa_id (digits: a "+" in a query string is a space), and posts the interactive request', () => {
    expect(permissionsUrl(T, '106540352242922', '+447700900123')).toBe('https://graph.facebook.com/v21.0/106540352242922/call_permissions?user_wa_id=447700900123');
    expect(messagesUrl(T, '106540352242922')).toBe('https://graph.facebook.com/v21.0/106540352242922/messages');
    expect(permissionRequestBody('+447700900123', 'May we call you?')).toEqual({
      messaging_product: 'whatsapp', recipient_type: 'individual', to: '+447700900123', type: 'interactive',
      interactive: { type: 'call_permission_request', action: { name: 'call_permission_request' }, body: { text: 'May we call you?' } },
    });
    // the body is optional for Meta: an empty text leaves it out
    expect(permissionRequestBody('+447700900123', '')).toMatchObject({ interactive: { type: 'call_permission_request', action: { name: 'call_permission_request' } } });
    expect((permissionRequestBody('+447700900123', '') as { interactive: object }).interactive).not.toHaveProperty('body');
  });

  it("quotes Meta's error code and message for a log line, or the start of a body that is not Meta's error", () => {
    expect(graphError('{"error":{"message":"Fetch call permission limit hit","type":"OAuthException","code":613}}')).toBe('613 Fetch call permission limit hit');
    expect(graphError('Bad Gateway')).toBe('Bad Gateway');
  });
});
