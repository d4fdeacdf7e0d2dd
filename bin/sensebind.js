#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --initial-old-space-size=256
// Thin launcher: the CLI is compiled to dist/ by `npm ci` (the package's prepare script).
// The V8 flag is in the shebang because Node refuses it in NODE_OPTIONS and ignores it once the heap
// exists (v8.setFlagsFromString): a larger initial old space takes the full garbage collections that
// received frames and buffers trigger from about two a second to a few a minute (docs/ros2.md, "CPU at
// camera rates"). `npx sensebind`, node_modules/.bin/sensebind and `npm start` go through the shebang;
// `node bin/sensebind.js` does not (`sensebind doctor` says which one ran).
// MALLOC_ARENA_MAX=2 (as the systemd unit and the launch file set it): glibc reads it when malloc first
// runs, so it too must be set before Node starts. Beside a week's recall store the agent's RSS was
// 681 MiB with it against 933 MiB without after 10 minutes with searches, at the same CPU (docs/recall.md).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
if (!existsSync(main)) {
  process.stderr.write(`sensebind: ${main} is missing; run "npm run build" (npm ci does this for you)\n`);
  process.exit(2);
}
const { runCli } = await import(main);
process.exitCode = await runCli(process.argv.slice(2));
