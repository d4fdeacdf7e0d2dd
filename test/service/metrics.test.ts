import { afterEach, describe, expect, it } from 'vitest';
import type { SenseEvent } from '../../src/core/types.js';
import { HealthServer } from '../../src/service/http.js';
import { MetricsRegistry, numericLeaves } from '../../src/service/metrics.js';
import { emptySourceStats } from '../../src/sources/source.js';

function event(concept: string, type: SenseEvent['type']): SenseEvent {
  return {
    v: 1, id: 'e1', type, robot: 'r', concept: { id: concept, label: concept }, score: 0.9, peakScore: 0.9,
    modalityScores: {}, present: ['audio'], missing: [], start: '1', end: null, startTime: '1970-01-01T00:00:00.000000001Z', endTime: null, emittedAt: new Date(0).toISOString(), seq: 1,
  };
}

describe('MetricsRegistry', () => {
  let metrics: MetricsRegistry | undefined;
  let server: HealthServer | undefined;
  afterEach(async () => {
    await server?.stop();
    metrics?.close();
  });

  it('reads stage stats at scrape time and records hook observations', async () => {
    metrics = new MetricsRegistry({ processMetrics: false });
    const stats = { ...emptySourceStats(), received: 10, decoded: 8, bad: 2, connected: true, detail: { crcErrors: 3 } };
    metrics.watchSource({ name: 'serial0', stats: () => stats });
    metrics.watchSink({ name: 'mqtt', stats: () => ({ written: 4, dropped: 1, pending: 7, errors: 0 }) });
    metrics.watchQueue('embed', () => ({ depth: 2, dropped: 5 }));
    metrics.watchStage('agent', () => ({ ticks: 12, nested: { lagMs: 3 }, name: 'x' }));
    metrics.snapshot(['audio', 'vision'], { audio: 0.1, vision: 0.3 });
    metrics.inferred('vision', 'cpu', 0.02);
    metrics.preprocessed('audio', 0.004);
    metrics.event(event('glass_breaking', 'start'));
    metrics.dropped('embed', 1);
    metrics.degraded('vision', 1, 'load');
    let text = await metrics.text();
    expect(text).toContain('sensebind_source_received_total{source="serial0"} 10');
    expect(text).toContain('sensebind_source_bad_total{source="serial0"} 2');
    expect(text).toContain('sensebind_source_connected{source="serial0"} 1');
    expect(text).toContain('sensebind_source_detail{source="serial0",key="crcErrors"} 3');
    expect(text).toContain('sensebind_sink_pending{sink="mqtt"} 7');
    expect(text).toContain('sensebind_queue_depth{queue="embed"} 2');
    expect(text).toContain('sensebind_queue_dropped_total{queue="embed"} 6');
    expect(text).toContain('sensebind_stage_stat{stage="agent",key="nested.lagMs"} 3');
    expect(text).toContain('sensebind_modality_age_seconds{modality="vision"} 0.3');
    expect(text).toContain('sensebind_inference_seconds_count{modality="vision",provider="cpu"} 1');
    expect(text).toContain('sensebind_preprocess_seconds_bucket{le="0.005",modality="audio"} 1');
    expect(text).toContain('sensebind_events_total{concept="glass_breaking",phase="start"} 1');
    expect(text).toContain('sensebind_embed_rate_cap_hz{modality="vision"} 1');
    expect(text).toMatch(/sensebind_event_loop_lag_seconds\{quantile="0.99"\} [0-9.e-]+/);
    // Counters follow the stage's own totals at the next scrape.
    stats.received = 25;
    text = await metrics.text();
    expect(text).toContain('sensebind_source_received_total{source="serial0"} 25');
  });

  it('events_total keeps a bounded set of concept labels: concepts beyond maxConceptLabels count as "other"', async () => {
    metrics = new MetricsRegistry({ processMetrics: false, maxConceptLabels: 2 });
    for (const id of ['a', 'b', 'c', 'd', 'a']) metrics.event(event(id, 'start'));
    const text = await metrics.text();
    const series = text.split('\n').filter((l) => l.startsWith('sensebind_events_total{'));
    expect(series.sort()).toEqual([
      'sensebind_events_total{concept="a",phase="start"} 2',
      'sensebind_events_total{concept="b",phase="start"} 1',
      'sensebind_events_total{concept="other",phase="start"} 2',
    ]);
  });

  it('a stage whose stats() throws leaves the scrape working', async () => {
    metrics = new MetricsRegistry({ processMetrics: false });
    metrics.watchSource({ name: 'broken', stats: () => { throw new Error('boom'); } });
    const text = await metrics.text();
    expect(text).toContain('# TYPE sensebind_source_received_total counter');
    expect(text).not.toContain('source="broken"');
  });

  it('flattens numeric leaves', () => {
    expect(numericLeaves({ a: 1, b: { c: true, d: 'x' }, e: [1], f: 2n })).toEqual([['a', 1], ['b.c', 1], ['f', 2]]);
  });

  it('serves /metrics, /healthz and /readyz on loopback', async () => {
    metrics = new MetricsRegistry();
    let ready = false;
    server = new HealthServer({
      host: '127.0.0.1', port: 0, metrics: () => metrics!.text(), metricsContentType: metrics.contentType,
      readiness: () => ({ ready, checks: { model: ready } }),
    });
    const port = await server.start();
    const base = `http://127.0.0.1:${port}`;
    const m = await fetch(`${base}/metrics`);
    expect(m.status).toBe(200);
    expect(await m.text()).toContain('process_resident_memory_bytes');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const notReady = await fetch(`${base}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual({ ready: false, checks: { model: false } });
    ready = true;
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });

  it('names host and port when it cannot bind', async () => {
    metrics = new MetricsRegistry({ processMetrics: false });
    server = new HealthServer({ host: '127.0.0.1', port: 0, metrics: () => metrics!.text(), metricsContentType: 'text/plain', readiness: () => ({ ready: true, checks: {} }) });
    const port = await server.start();
    const second = new HealthServer({ host: '127.0.0.1', port, metrics: () => metrics!.text(), metricsContentType: 'text/plain', readiness: () => ({ ready: true, checks: {} }) });
    await expect(second.start()).rejects.toThrow(`127.0.0.1:${port}`);
  });
});
