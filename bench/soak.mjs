// Soak: the run pipeline on simulated 4-modality sensors for 30 simulated minutes at 10x (see src/bench/soak.ts). Needs `npm run build` first.
await (await import('../dist/bench/soak.js')).main(process.argv.slice(2));
