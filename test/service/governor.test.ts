import { describe, expect, it } from 'vitest';
import type { SensorModality } from '../../src/core/types.js';
import { EmbedGovernor } from '../../src/service/governor.js';
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
