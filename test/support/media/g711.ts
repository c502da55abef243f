/** moved to src/testcall/media/g711.ts (the test-call command uses it too, issue 14) */
export * from '../../../src/testcall/media/g711';
