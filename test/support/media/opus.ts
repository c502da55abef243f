/** moved to src/testcall/media/opus.ts (the test-call command uses it too, issue 14) */
export * from '../../../src/testcall/media/opus';
