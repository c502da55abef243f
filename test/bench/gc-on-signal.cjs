// Bench only, preloaded into the gateway with --expose-gc: SIGUSR2 runs a full GC, so the
// heap readings of T4 measure live objects, not garbage waiting for the next collection.
process.on('SIGUSR2', () => global.gc());
