// MQTT sink throughput with the persistent outbox (see src/bench/mqtt.ts). Needs `npm run build` first.
await (await import('../dist/bench/mqtt.js')).main(process.argv.slice(2));
