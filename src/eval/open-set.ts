/**
 * Open-set evaluation: on recordings in which nothing of interest happens (no ground truth), every event
 * is a false one. Reported as false events per hour, per file and in total, beside the F1 table of the
 * recordings that have ground truth (`sensebind eval`).
 */
import type { SenseEvent } from '../core/types.js';

export interface OpenSetFile {
  bag: string;
  seconds: number;
  /** Events started, per concept. */
  events: Record<string, number>;
  falseEvents: number;
  perHour: number;
}

export interface OpenSetReport {
  files: OpenSetFile[];
  total: { seconds: number; hours: number; falseEvents: number; perHour: number; byConcept: Record<string, number> };
}

const round = (x: number) => Math.round(x * 100) / 100;

/** Counts the events each event-free recording started. */
export function openSetReport(runs: readonly { bag: string; events: readonly SenseEvent[]; durationSeconds: number }[]): OpenSetReport {
  const byConcept: Record<string, number> = {};
  const files = runs.map((r) => {
    const events: Record<string, number> = {};
    let n = 0;
    for (const e of r.events) {
      if (e.type !== 'start') continue;
      events[e.concept.id] = (events[e.concept.id] ?? 0) + 1;
      byConcept[e.concept.id] = (byConcept[e.concept.id] ?? 0) + 1;
      n++;
    }
    return { bag: r.bag, seconds: round(r.durationSeconds), events, falseEvents: n, perHour: r.durationSeconds > 0 ? round((n * 3600) / r.durationSeconds) : 0 };
  });
  const seconds = runs.reduce((a, r) => a + r.durationSeconds, 0);
  const falseEvents = files.reduce((a, f) => a + f.falseEvents, 0);
  return { files, total: { seconds: round(seconds), hours: Math.round((seconds / 3600) * 1e4) / 1e4, falseEvents, perHour: seconds > 0 ? round((falseEvents * 3600) / seconds) : 0, byConcept } };
}
