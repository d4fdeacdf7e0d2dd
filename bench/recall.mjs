// Recall: ingest rate vs live, query latency at scale, search quality on simulator bags (see src/bench/recall.ts). Needs `npm run build` first.
await (await import('../dist/bench/recall.js')).main(process.argv.slice(2));
