// Bag replay throughput on the real ROS 1 bags (see src/bench/bag.ts). Needs `npm run build` first.
await (await import('../dist/bench/bag.js')).main(process.argv.slice(2));
