/**
 * Worker-thread side of PreprocessPool: runs the manifest-driven preprocessing (pure JS resampling, fbank,
 * IMU resampling) off the main thread, so the event loop that reads serial ports, answers MQTT keepalives
 * and serves /metrics is not blocked for tens of milliseconds per snapshot.
 */
import { parentPort } from 'node:worker_threads';
import { errorMessage } from '../core/errors.js';
import { preprocessWindow } from '../preprocess/index.js';

interface Job {
  id: number;
  modality: Parameters<typeof preprocessWindow>[0];
  window: unknown;
  params: unknown;
}

parentPort?.on('message', (job: Job) => {
  preprocessWindow(job.modality, job.window as never, job.params as never).then(
    (tensor) => parentPort!.postMessage({ id: job.id, tensor }, [tensor.data.buffer as ArrayBuffer]),
    (err: unknown) => parentPort!.postMessage({ id: job.id, error: errorMessage(err) }),
  );
});
