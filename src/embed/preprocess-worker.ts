/**
 * Worker-thread side of PreprocessPool: runs the manifest-driven preprocessing (pure JS resampling, fbank,
 * IMU resampling) off the main thread, so the event loop that reads serial ports, answers MQTT keepalives
 * and serves /metrics is not blocked for tens of milliseconds per snapshot.
 */
import { parentPort } from 'node:worker_threads';
import { errorMessage } from '../core/errors.js';
import { preprocessWindow } from '../preprocess/index.js';
import type { PreprocessJob } from './preprocess-pool.js';

// Structured clone keeps the job's shape (typed arrays included); the pool is the only sender.
parentPort?.on('message', (job: PreprocessJob) => {
  preprocessWindow(job.tagged, job.params).then(
    (tensor) => parentPort!.postMessage({ id: job.id, tensor }, [tensor.data.buffer as ArrayBuffer]),
    (err: unknown) => parentPort!.postMessage({ id: job.id, error: errorMessage(err) }),
  );
});
