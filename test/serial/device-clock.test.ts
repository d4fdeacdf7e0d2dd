import { describe, expect, it } from 'vitest';
import { DeviceClock } from '../../src/serial/device-clock.js';

/** A device whose clock runs `ppm` fast and started `bootUs` before agent time `epoch`. */
function device(ppm: number, epoch = 1_790_000_000_000_000_000n, bootUs = 3_000_000) {
  return {
    // agent ns -> device us
    devUs: (agentNs: bigint) => bootUs + (Number(agentNs - epoch) / 1000) * (1 + ppm * 1e-6),
    // device us -> true agent ns
    agentNs: (devUs: number) => epoch + BigInt(Math.round(((devUs - bootUs) * 1000) / (1 + ppm * 1e-6))),
    epoch,
  };
}

describe('DeviceClock', () => {
  it('recovers offset and a 300 ppm drift from time-sync exchanges with jittery round trips', () => {
    const d = device(300);
    const clock = new DeviceClock();
    let seed = 1;
    const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    for (let i = 0; i < 40; i++) {
      const t1 = d.epoch + BigInt(i) * 250_000_000n;
      const up = 100_000 + Math.round(rnd() * 2_000_000); // 0.1 .. 2.1 ms each way, asymmetric
      const down = 100_000 + Math.round(rnd() * 2_000_000);
      const t2 = Math.round(d.devUs(t1 + BigInt(up)));
      const t3 = t2 + 30;
      const t4 = d.agentNs(t3) + BigInt(down);
      clock.addSync(t1, t2, t3, t4);
    }
    expect(clock.mode).toBe('sync');
    expect(clock.stats().driftPpm).toBeGreaterThan(250);
    expect(clock.stats().driftPpm).toBeLessThan(350);
    for (const s of [1, 5, 9.9]) {
      const dev = d.devUs(d.epoch + BigInt(s * 1e9));
      const err = Number(clock.toAgentNs(dev) - d.agentNs(dev));
      expect(Math.abs(err)).toBeLessThan(600_000); // < 0.6 ms
    }
  });

  it('falls back to the earliest arrivals before any exchange', () => {
    const d = device(0);
    const clock = new DeviceClock();
    for (let i = 0; i < 50; i++) {
      const taken = d.epoch + BigInt(i) * 10_000_000n;
      const latency = BigInt(200_000 + ((i * 7919) % 5) * 1_000_000); // 0.2 ms at best, up to 4.2 ms
      clock.observeArrival(d.devUs(taken), taken + latency);
    }
    expect(clock.mode).toBe('arrival');
    const dev = d.devUs(d.epoch + 123_000_000n);
    expect(Number(clock.toAgentNs(dev) - d.agentNs(dev))).toBe(200_000);
  });

  it('ignores impossible exchanges and starts over on reset', () => {
    const clock = new DeviceClock();
    clock.addSync(1000n, 10, 5, 2000n); // t3 < t2
    clock.addSync(1_000_000n, 10, 20, 1_000_000n); // negative round trip
    expect(clock.mode).toBe('none');
    clock.addSync(0n, 100, 100, 1_000_000n);
    expect(clock.mode).toBe('sync');
    clock.reset();
    expect(clock.stats()).toMatchObject({ mode: 'none' });
  });
});
