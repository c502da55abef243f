/** moved to src/testcall/sip/message.ts (the test-call command uses it too, issue 14) */
export * from '../../../src/testcall/sip/message';
