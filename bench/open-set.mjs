// Open-set corpus and level-scaled simulator scenes (see src/bench/open-set.ts). Needs `npm run build` first.
await (await import('../dist/bench/open-set.js')).main(process.argv.slice(2));
