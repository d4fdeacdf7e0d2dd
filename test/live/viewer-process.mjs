// A Foxglove WebSocket viewer in its own process, for the live-view test and bench: the protocol
// library's own client (FoxgloveClient over `ws`), subscribing to every channel the server advertises and
// decoding each message with the schema advertised for it (JSON Schema, validated with Ajv). With
// --stall-after/--stall-for it stops reading its socket (TCP backs up to the server) like a frozen viewer.
// Prints "ready" on stdout once the first score message arrived, then one JSON summary line when the server
// goes away (or after --max-seconds).
//
// node viewer-process.mjs <ws-url> [--stall-after s] [--stall-for s] [--max-seconds s] [--keep-scores]
import wsProtocol from '@foxglove/ws-protocol';
import Ajv from 'ajv';
import { WebSocket } from 'ws';

const { FoxgloveClient } = wsProtocol;
const args = process.argv.slice(2);
const url = args[0];
const flag = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const stallAfter = flag('stall-after', -1);
const stallFor = flag('stall-for', 0);
const maxSeconds = flag('max-seconds', 600);

const ajv = new Ajv({ strict: false, allErrors: false });
const decoder = new TextDecoder();
const summary = {
  connectedAfterMs: 0,
  channels: {},
  invalid: [],
  times: 0,
  scores: [],
  events: [],
  jpegOk: 0,
  stalledMs: 0,
};
const byId = new Map();
let ready = false;
const started = Date.now();

function finish(code = 0) {
  process.stdout.write(`${JSON.stringify(summary)}\n`, () => process.exit(code));
}

// The client is attached before the socket opens: the server sends serverInfo and advertise at once.
async function connect() {
  for (;;) {
    const ws = new WebSocket(url, [FoxgloveClient.SUPPORTED_SUBPROTOCOL]);
    const client = new FoxgloveClient({ ws });
    attach(ws, client);
    const ok = await new Promise((resolve) => {
      client.on('open', () => {
        summary.connectedAfterMs = Date.now() - started;
        resolve(true);
      });
      ws.once('error', () => resolve(false));
    });
    if (ok) return { ws, client };
    if (Date.now() - started > maxSeconds * 1000) finish(3);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function attach(ws, client) {
  client.on('advertise', (channels) => {
    for (const ch of channels) {
      if (ch.encoding !== 'json' || ch.schemaEncoding !== 'jsonschema') {
        summary.invalid.push({ topic: ch.topic, error: `unexpected encoding ${ch.encoding}/${ch.schemaEncoding}` });
        continue;
      }
      const validate = ajv.compile(JSON.parse(ch.schema));
      const subId = client.subscribe(ch.id);
      byId.set(subId, { topic: ch.topic, schemaName: ch.schemaName, validate });
      summary.channels[ch.topic] = { schemaName: ch.schemaName, messages: 0 };
    }
  });
  client.on('time', () => summary.times++);
  client.on('message', ({ subscriptionId, timestamp, data }) => {
    const sub = byId.get(subscriptionId);
    if (!sub) return;
    let msg;
    try {
      msg = JSON.parse(decoder.decode(data));
    } catch (err) {
      summary.invalid.push({ topic: sub.topic, error: String(err) });
      return;
    }
    if (!sub.validate(msg)) {
      if (summary.invalid.length < 20) summary.invalid.push({ topic: sub.topic, error: ajv.errorsText(sub.validate.errors) });
      return;
    }
    summary.channels[sub.topic].messages++;
    if (!ready && sub.topic === '/sensebind/scores') {
      ready = true;
      process.stdout.write('ready\n');
    }
    const ns = timestamp.toString();
    if (sub.topic === '/sensebind/scores') {
      summary.scores.push({ stamp: ns, seq: msg.seq, concepts: msg.concepts.map((c) => [c.id, c.smoothed, c.on, c.fused, c.active]) });
    } else if (sub.topic === '/sensebind/events') {
      summary.events.push({ stamp: ns, type: msg.type, concept: msg.concept.id, score: msg.score, start: msg.start });
    } else if (sub.topic === '/sensebind/camera') {
      const jpeg = Buffer.from(msg.data, 'base64');
      if (msg.format === 'jpeg' && jpeg[0] === 0xff && jpeg[1] === 0xd8) summary.jpegOk++;
    }
    if (stallAfter >= 0 && summary.stalledMs === 0 && Date.now() - started >= stallAfter * 1000) {
      // Stop reading the socket: the kernel buffers fill and the server's writes stop completing.
      const t0 = Date.now();
      summary.stalledMs = -1;
      ws._socket.pause();
      setTimeout(() => {
        summary.stalledMs = Date.now() - t0;
        ws._socket.resume();
      }, stallFor * 1000);
    }
  });
  ws.on('close', () => summary.connectedAfterMs > 0 && finish(0));
}

await connect();
setTimeout(() => finish(0), maxSeconds * 1000).unref();
