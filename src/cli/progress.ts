/**
 * Progress of long jobs on a terminal (stderr, one line rewritten in place, at most twice a second):
 * recording seconds covered and events so far. Nothing when stderr is not a terminal, so logs and pipes
 * stay clean.
 */
export interface ProgressReporter {
  update(stamp: bigint, newEvents: number): void;
  done(): void;
}

/** A bag replay's `onTick` that draws progress, and the `done` to call when it ends (also on failure). */
export function bagProgress(stream: NodeJS.WritableStream, what: string): { onTick: (r: { embeddings: { stamp: bigint }; match: { events: readonly unknown[] } }) => void; done: () => void } {
  const reporter = progressReporter(stream, what);
  return { onTick: (r) => reporter.update(r.embeddings.stamp, r.match.events.length), done: () => reporter.done() };
}

function progressReporter(stream: NodeJS.WritableStream, what: string): ProgressReporter {
  const tty = (stream as { isTTY?: boolean }).isTTY === true;
  let first: bigint | undefined;
  let events = 0;
  let lastDraw = 0;
  let drawn = false;
  const t0 = performance.now();
  return {
    update(stamp, newEvents) {
      events += newEvents;
      if (!tty) return;
      first ??= stamp;
      const now = performance.now();
      if (now - lastDraw < 500) return;
      lastDraw = now;
      drawn = true;
      const seconds = Number(stamp - first) / 1e9;
      stream.write(`\r${what}: ${seconds.toFixed(1)} s of recording in ${((now - t0) / 1000).toFixed(1)} s, ${events} event messages   `);
    },
    done() {
      if (drawn) stream.write('\n');
      drawn = false;
    },
  };
}
