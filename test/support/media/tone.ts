/** moved to src/testcall/media/tone.ts (the test-call command uses it too, issue 14) */
export * from '../../../src/testcall/media/tone';
