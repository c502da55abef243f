/** moved to src/testcall/media/rtp-peer.ts (the test-call command uses it too, issue 14) */
export * from '../../../src/testcall/media/rtp-peer';
