/**
 * The ticker's policies with a controllable tick: which stamps tick, what 'wait' and 'skip' do while a
 * tick is running, gap jumps, and the tail of a recording.
 */
import { describe, expect, it } from 'vitest';
import type { Agent, TickResult } from '../../src/agent/agent.js';
import { Ticker } from '../../src/agent/ticker.js';
import { silentLogger } from '../../src/core/log.js';

const S = 1_000_000_000n;

/** An agent whose ticks finish when the test says so. */
function manualAgent() {
  const stamps: bigint[] = [];
  const pending: Array<() => void> = [];
  const agent: Pick<Agent, 'tick'> = {
    tick: (now) => {
      stamps.push(now);
      return new Promise<TickResult>((resolve) => pending.push(() => resolve({} as TickResult)));
    },
  };
  const release = async () => {
    while (pending.length > 0) {
      pending.shift()!();
      await new Promise((r) => setImmediate(r));
    }
  };
  return { agent, stamps, release, pending };
}

describe('Ticker', () => {
  it("'wait': every due tick runs, in order, and the caller waits before pushing", async () => {
    const { agent, stamps, release } = manualAgent();
    const ticker = new Ticker({ agent, hopSeconds: 0.5, logger: silentLogger(), busy: 'wait' });
    expect(ticker.advance(0n)).toBeUndefined();
    const p = ticker.advance(S + S / 2n); // 0.5, 1.0 and 1.5 s are due
    expect(p).toBeInstanceOf(Promise);
    const waited = ticker.advance(2n * S); // due while the others run: queued behind them
    await release();
    await p;
    await release();
    await waited;
    expect(stamps).toEqual([S / 2n, S, S + S / 2n, 2n * S]);
    expect(ticker.stats()).toMatchObject({ ticks: 4, skipped: 0 });
  });

  it("'skip': a tick due while one runs is skipped and counted", async () => {
    const { agent, stamps, release } = manualAgent();
    let skips = 0;
    const ticker = new Ticker({ agent, hopSeconds: 0.5, logger: silentLogger(), busy: 'skip', onSkip: () => skips++ });
    expect(ticker.advance(0n)).toBeUndefined();
    expect(ticker.advance(S / 2n)).toBeUndefined(); // runs, not awaited by the caller
    expect(ticker.advance(S)).toBeUndefined(); // busy: skipped
    await release();
    expect(ticker.advance(S + S / 2n)).toBeUndefined();
    await release();
    expect(stamps).toEqual([S / 2n, S + S / 2n]);
    expect(ticker.stats()).toMatchObject({ ticks: 2, skipped: 1 });
    expect(skips).toBe(1);
  });

  it('jumps over a gap in the stamps instead of ticking through it (a clock a year ahead cannot hang it)', async () => {
    const { agent, stamps, release } = manualAgent();
    const ticker = new Ticker({ agent, hopSeconds: 0.5, logger: silentLogger(), busy: 'wait' });
    expect(ticker.advance(0n)).toBeUndefined();
    const year = 365n * 86_400n * S;
    const p = ticker.advance(year);
    await release();
    await p;
    expect(stamps).toEqual([year]);
    expect(ticker.stats().jumped).toBe(2 * 365 * 86_400 - 1);
  });

  it('drain runs the ticks covering the tail and returns where open events end', async () => {
    const { agent, stamps, release } = manualAgent();
    const ticker = new Ticker({ agent, hopSeconds: 0.5, logger: silentLogger(), busy: 'wait' });
    expect(ticker.advance(0n)).toBeUndefined(); // the first stamp starts the clock
    const p = ticker.advance(S);
    await release();
    await p;
    let end: bigint | undefined | 'pending' = 'pending';
    void ticker.drain().then((e) => (end = e));
    while (end === 'pending') {
      await release();
      await new Promise((r) => setTimeout(r, 1));
    }
    expect(end).toBe(2n * S);
    expect(stamps).toEqual([S / 2n, S, S + S / 2n]);
  });

  it('refuses a hop that would never advance', () => {
    const { agent } = manualAgent();
    expect(() => new Ticker({ agent, hopSeconds: 0, logger: silentLogger(), busy: 'wait' })).toThrow(/hopSeconds must be > 0/);
  });
});
