// The agent `sensebind run` builds, on a simulated bag: replay speed, CPU at real time, latencies (see src/bench/pipeline.ts). Needs `npm run build`.
await (await import('../dist/bench/pipeline.js')).main(process.argv.slice(2));
