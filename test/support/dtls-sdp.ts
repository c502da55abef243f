/** moved to src/testcall/dtls-sdp.ts (test-call --srtp dtls uses it too, issue 14) */
export * from '../../src/testcall/dtls-sdp';
