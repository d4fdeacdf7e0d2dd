// What a stalled live viewer costs the agent (see src/bench/live.ts). Needs `npm run build` first.
await (await import('../dist/bench/live.js')).main(process.argv.slice(2));
