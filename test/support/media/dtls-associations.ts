/** moved to src/testcall/media/dtls-associations.ts (test-call --srtp dtls uses it too, issue 14) */
export * from '../../../src/testcall/media/dtls-associations';
