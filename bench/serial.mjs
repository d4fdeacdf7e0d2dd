// Host-side serial decode cost for a 1 kHz IMU + 16 kHz audio stream (see src/bench/serial.ts). Needs `npm run build` first.
await (await import('../dist/bench/serial.js')).main(process.argv.slice(2));
