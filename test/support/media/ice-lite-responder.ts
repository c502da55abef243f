/** moved to src/testcall/media/ice-lite-responder.ts (test-call --srtp dtls uses it too, issue 14) */
export * from '../../../src/testcall/media/ice-lite-responder';
