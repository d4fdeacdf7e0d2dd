// An MqttSink in its own process, so a test can SIGKILL it mid-stream. Compiled code from dist/ (the
// `npm test` script builds first). Protocol: one JSON command per stdin line, one JSON answer per stdout line.
//   {"op":"write","events":[...]}  -> {"op":"write","stats":...} once every write() resolved (events durable)
//   {"op":"stats"} / {"op":"flush"} / {"op":"close"} (close exits the process)
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const dist = new URL('../../../dist/', import.meta.url);
if (!existsSync(fileURLToPath(new URL('sinks/mqtt.js', dist)))) {
  process.stderr.write('dist/sinks/mqtt.js is missing: run "npm run build" first\n');
  process.exit(2);
}
const { MqttSink } = await import(new URL('sinks/mqtt.js', dist).href);
const { FileOutbox } = await import(new URL('sinks/mqtt/file-outbox.js', dist).href);

const [url, robot, outboxDir] = process.argv.slice(2);
const sink = new MqttSink({ url, robot, outbox: FileOutbox.open(outboxDir), reconnect: { initialMs: 50, maxMs: 500 } });
const answer = (op) => process.stdout.write(`${JSON.stringify({ op, stats: sink.stats() })}\n`);

let chain = Promise.resolve();
createInterface({ input: process.stdin }).on('line', (line) => {
  const cmd = JSON.parse(line);
  chain = chain.then(async () => {
    switch (cmd.op) {
      case 'write':
        for (const event of cmd.events) await sink.write(event);
        return answer('write');
      case 'stats':
        return answer('stats');
      case 'flush':
        await sink.flush(10_000);
        return answer('flush');
      case 'close':
        await sink.close();
        answer('close');
        process.exit(0);
    }
  });
});
answer('ready');
