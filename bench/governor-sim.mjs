// Steady-state embedding rates under the governor for given per-graph CPU latencies (see src/bench/governor-sim.ts). Needs `npm run build` first.
await (await import('../dist/bench/governor-sim.js')).main(process.argv.slice(2));
