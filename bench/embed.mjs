// Embedding latency (batch 1 / 8) and peak memory per model (see src/bench/embed.ts). Needs `npm run build` first.
await (await import('../dist/bench/embed.js')).main(process.argv.slice(2));
