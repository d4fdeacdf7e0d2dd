/**
 * Worker thread behind ChunkPrefetcher (chunk-prefetch.ts): reads MCAP chunk records from the file and
 * decompresses and CRC-checks them off the main thread (rewriteChunk). In a replay those steps were about
 * a third of the CPU (zstd in WebAssembly, the CRC in JavaScript).
 */
import { open } from 'node:fs/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { loadDecompressHandlers } from '@mcap/support';
import { errorMessage } from '../core/errors.js';
import { rewriteChunk } from './chunk-record.js';
import type { ChunkReply, ChunkRequest } from './chunk-prefetch.js';

const port = parentPort;
if (port === null) throw new Error('chunk-worker.js runs as a worker thread');

// Messages posted before these resolve wait in the port: its listener starts it.
const handle = await open((workerData as { path: string }).path, 'r');
const handlers = await loadDecompressHandlers();

async function read({ offset, length }: ChunkRequest): Promise<Uint8Array> {
  const raw = new Uint8Array(length);
  const { bytesRead } = await handle.read(raw, 0, length, offset);
  if (bytesRead !== length) throw new Error(`the file ends ${bytesRead} bytes into the ${length}-byte chunk`);
  return rewriteChunk(raw, handlers);
}

port.on('message', (request: ChunkRequest) => {
  read(request).then(
    (chunk) => port.postMessage({ offset: request.offset, chunk } satisfies ChunkReply, [chunk.buffer as ArrayBuffer]),
    (err: unknown) => port.postMessage({ offset: request.offset, error: errorMessage(err) } satisfies ChunkReply),
  );
});
