/** moved to src/testcall/media/srtp-keys.ts (the test-call command uses it too, issue 14) */
export * from '../../../src/testcall/media/srtp-keys';
