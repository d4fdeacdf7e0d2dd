import { describe, expect, it } from 'vitest';
import { ManualClock, MonotonicClock, SensorClockMapper, nsToIso, nsToSeconds, secondsToNs } from '../../src/core/clock.js';

describe('agent clocks', () => {
  it('MonotonicClock starts at the wall epoch and never goes backwards', () => {
    const clock = new MonotonicClock();
    const a = clock.now();
    const b = clock.now();
    expect(b >= a).toBe(true);
    expect(Math.abs(Number(a / 1_000_000n) - Date.now())).toBeLessThan(1000);
  });

  it('ManualClock only moves forward', () => {
    const clock = new ManualClock(10n);
    expect(clock.advanceTo(5n)).toBe(10n);
    expect(clock.advanceTo(20n)).toBe(20n);
    expect(clock.now()).toBe(20n);
  });

  it('converts seconds and nanoseconds', () => {
    expect(secondsToNs(1.5)).toBe(1_500_000_000n);
    expect(nsToSeconds(250_000_000n)).toBe(0.25);
  });
});

describe('nsToIso', () => {
  it('gives UTC with all nine fraction digits, also for the first second and before 1970', () => {
    expect(nsToIso(1_732_761_600_123_456_789n)).toBe('2024-11-28T02:40:00.123456789Z');
    expect(nsToIso(1n)).toBe('1970-01-01T00:00:00.000000001Z');
    expect(nsToIso(-1n)).toBe('1969-12-31T23:59:59.999999999Z');
    expect(new Date(nsToIso(1_700_000_000_250_000_000n)).getTime()).toBe(1_700_000_000_250);
  });
});

describe('SensorClockMapper', () => {
  // A device clock in µs starting at 0 that runs 50 ppm fast, seen through a link with 1-9 ms latency.
  const agentStart = 1_700_000_000_000_000_000n;
  const truth = (deviceNs: number) => agentStart + BigInt(Math.round(deviceNs / (1 + 50e-6)));

  it('recovers offset and drift under positive latency jitter (lower envelope)', () => {
    const mapper = new SensorClockMapper({ window: 200 });
    let seed = 1;
    const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    for (let i = 0; i < 200; i++) {
      const deviceNs = i * 50_000_000; // every 50 ms for 10 s
      const latency = BigInt(Math.round(1e6 + rand() * 8e6));
      mapper.observe(BigInt(deviceNs), truth(deviceNs) + latency);
    }
    expect(mapper.driftPpm).toBeGreaterThan(-80);
    expect(mapper.driftPpm).toBeLessThan(-20);
    const probe = 12_000_000_000; // 2 s beyond the data
    const err = Number(mapper.toAgent(BigInt(probe)) - truth(probe));
    // Within the minimum latency (1 ms) plus a small extrapolation error.
    expect(Math.abs(err)).toBeLessThan(2.5e6);
  });

  it('estimates offset only with few pairs, and resets', () => {
    const mapper = new SensorClockMapper();
    mapper.observe(1000n, 5000n);
    expect(mapper.toAgent(2000n)).toBe(6000n);
    expect(mapper.driftPpm).toBe(0);
    mapper.reset();
    expect(() => mapper.toAgent(1n)).toThrow(/before any observe/);
  });
});
