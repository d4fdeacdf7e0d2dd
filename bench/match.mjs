// Matching latency per snapshot at 100 / 10,000 / 100,000 concepts (see src/bench/match.ts). Needs `npm run build` first.
await (await import('../dist/bench/match.js')).main(process.argv.slice(2));
