import { describe, expect, it } from 'vitest';
import type { SensorModality } from '../../src/core/types.js';
import { PassThrough } from 'node:stream';
import { createLogger } from '../../src/core/log.js';
import { EmbedGovernor, overloadReason } from '../../src/service/governor.js';
import { MetricsRegistry } from '../../src/service/metrics.js';

const caps: Record<SensorModality, number> = { vision: 2, depth: 2, thermal: 0, audio: 0, imu: 0 };
const s = (sec: number) => BigInt(Math.round(sec * 1e9));

describe('EmbedGovernor', () => {
  it('enforces per-modality caps on the snapshot clock; 0 = every snapshot', () => {
    const g = new EmbedGovernor({ caps, hopSeconds: 0.1, nowMs: () => 0 });
    const allowed = { vision: 0, audio: 0 };
    for (let i = 0; i < 50; i++) {
      if (g.allow('vision', s(i * 0.1)) === true) allowed.vision++;
      if (g.allow('audio', s(i * 0.1)) === true) allowed.audio++;
    }
    expect(allowed).toEqual({ vision: 10, audio: 50 });
    expect(g.allow('vision', s(4.95))).toBe('rate-cap');
  });

  it('degrades frame modalities first under load, never audio/IMU, reports it, and restores when load falls', () => {
    let now = 0;
    const metrics = new MetricsRegistry({ processMetrics: false });
    const g = new EmbedGovernor({ caps, hopSeconds: 0.5, nowMs: () => now, evaluateSeconds: 1, floorHz: 0.25, hooks: metrics });
    // 1.5 s of embedding per wall second: overloaded.
    const busy = (load: number) => {
      for (let i = 0; i < 10; i++) {
        now += 100;
        g.observe('vision', (load * 0.1) / 3, 0.5);
        g.observe('depth', (load * 0.1) / 3, 0.5);
        g.observe('thermal', (load * 0.1) / 3, 0.5);
      }
    };
    busy(1.5);
    let st = g.stats();
    expect(st.rateHz).toEqual({ vision: 1, depth: 1, thermal: 1, audio: 0, imu: 0 });
    expect(st.degraded.sort()).toEqual(['depth', 'thermal', 'vision']);
    busy(1.5);
    busy(1.5);
    busy(1.5);
    st = g.stats();
    expect(st.rateHz.vision).toBe(0.25);
    expect(st.saturated).toBe(true);
    expect(st.rateHz.audio).toBe(0);
    // A degraded modality is skipped with reason 'degraded' between its (slower) slots.
    expect(g.allow('vision', s(100))).toBe(true);
    expect(g.allow('vision', s(101))).toBe('degraded');
    expect(g.allow('vision', s(104))).toBe(true);
    // A short lull does not restore anything (hysteresis)...
    busy(0.1);
    busy(0.1);
    expect(g.stats().rateHz.vision).toBe(0.25);
    // ...a lasting one does: one doubling per 3 relaxed periods, back to the configured caps.
    for (let i = 0; i < 13; i++) busy(0.1);
    st = g.stats();
    expect(st.rateHz).toEqual(caps);
    expect(st.degraded).toEqual([]);
    return metrics.text().then((text) => {
      expect(text).toContain('sensebind_embed_rate_cap_hz{modality="vision"} 2');
      expect(text).toMatch(/sensebind_degradations_total\{modality="vision"\} 3/);
      metrics.close();
    });
  });

  it('a skipped tick: the reason says so (not the load), the snapshot counts as dropped, each embedded modality as skipped "busy"', async () => {
    let now = 0;
    let log = '';
    const destination = new PassThrough();
    destination.on('data', (d: Buffer) => (log += d.toString()));
    const metrics = new MetricsRegistry({ processMetrics: false });
    const g = new EmbedGovernor({ caps, hopSeconds: 0.5, nowMs: () => now, evaluateSeconds: 1, hooks: metrics, logger: createLogger({ level: 'info', format: 'json', destination }) });
    g.observe('vision', 0.55, 0.5);
    g.observe('audio', 0.0, 0.5);
    now = 1000;
    g.tickSkipped();
    await new Promise((r) => setImmediate(r));
    const degraded = log.split('\n').filter((l) => l.includes('embed rate degraded')).map((l) => JSON.parse(l) as { reason: string });
    expect(degraded.length).toBeGreaterThan(0);
    expect(degraded[0]!.reason).toBe('1 tick(s) skipped in 1.0 s: a snapshot took longer than the hop (load 0.55)');
    expect(degraded[0]!.reason).not.toMatch(/> 0.8/);
    const text = await metrics.text();
    expect(text).toContain('sensebind_queue_dropped_total{queue="snapshots"} 1');
    expect(text).toContain('sensebind_embed_skipped_total{modality="vision",reason="busy"} 1');
    expect(text).toContain('sensebind_embed_skipped_total{modality="audio",reason="busy"} 1');
    metrics.close();
  });

  it('names both causes when the load is high and ticks were skipped', () => {
    expect(overloadReason(1.2, 0.8, 2, 5)).toBe('load 1.20 > 0.8; 2 tick(s) skipped in 5.0 s: a snapshot took longer than the hop (load 1.20)');
    expect(overloadReason(1.2, 0.8, 0, 5)).toBe('load 1.20 > 0.8');
  });

  it('treats a skipped tick as overload', () => {
    let now = 0;
    const g = new EmbedGovernor({ caps, hopSeconds: 0.5, nowMs: () => now, evaluateSeconds: 1 });
    g.observe('vision', 0.01, 0.5);
    now = 1500;
    g.tickSkipped();
    expect(g.stats().rateHz.vision).toBe(1);
    // No depth camera on this robot: nothing to degrade there.
    expect(g.stats().rateHz.depth).toBe(2);
    expect(g.stats().skippedTicks).toBe(1);
  });
});
