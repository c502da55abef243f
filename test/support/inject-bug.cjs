// Preloaded into a gateway process by test/unit/crash-policy.test.ts: on SIGUSR2 it
// raises the bug INJECT_BUG names, from outside any handler of the gateway's own.
process.on('SIGUSR2', () => {
  if (process.env.INJECT_BUG === 'reject') void Promise.reject(new Error('injected rejection'));
  else setImmediate(() => { throw new Error('injected exception'); });
});
