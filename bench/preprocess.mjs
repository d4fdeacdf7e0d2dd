// Preprocessing per window vs the PyTorch reference (see src/bench/preprocess.ts). Needs `npm run build` first.
await (await import('../dist/bench/preprocess.js')).main(process.argv.slice(2));
