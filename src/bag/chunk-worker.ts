/**
 * Worker thread behind PrefetchingReadable (chunk-prefetch.ts): reads MCAP chunk records from the file and
 * decompresses and CRC-checks them off the main thread (readChunk). In a replay those steps were about
 * a third of the CPU (zstd in WebAssembly, the CRC in JavaScript).
 */
import { open } from 'node:fs/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { loadDecompressHandlers } from '@mcap/support';
import { errorMessage } from '../core/errors.js';
import { readChunk } from './chunk-record.js';
import type { ChunkReply, ChunkRequest } from './chunk-prefetch.js';

const port = parentPort;
if (port === null) throw new Error('chunk-worker.js runs as a worker thread');

// Messages posted before these resolve wait in the port: its listener starts it.
const handle = await open((workerData as { path: string }).path, 'r');
const handlers = await loadDecompressHandlers();

port.on('message', (request: ChunkRequest) => {
  readChunk(handle, request.offset, request.length, handlers).then(
    (chunk) => port.postMessage({ offset: request.offset, chunk } satisfies ChunkReply, [chunk.buffer as ArrayBuffer]),
    (err: unknown) => port.postMessage({ offset: request.offset, error: errorMessage(err) } satisfies ChunkReply),
  );
});
