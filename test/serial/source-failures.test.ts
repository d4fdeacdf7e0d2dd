// SerialSource against the failures a robot meets, on real pseudo-terminals: a port that is not there yet,
// a port another process holds, a line full of garbage (wrong baud rate), a device that reboots.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serialPortSchema } from '../../src/config/serial.js';
import type { Sample } from '../../src/core/types.js';
import { SerialSource } from '../../src/sources/serial.js';
import { buildSimulator, sleep, startPtyPair, stopProcess, waitFor } from './harness.js';
import { loadVectors } from './vector-frames.js';

const dir = mkdtempSync(join(tmpdir(), 'sb-fail-'));
let simBin = '';
const children: ChildProcess[] = [];
beforeAll(() => {
  simBin = buildSimulator(join(dir, 'build'));
});
afterAll(async () => {
  for (const c of children) await stopProcess(c, 'SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** A logger whose lines the test can read. */
function capture(): { logger: pino.Logger; lines: () => { level: number; msg: string }[] } {
  const out: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      out.push(String(chunk));
      cb();
    },
  });
  return { logger: pino({ level: 'debug' }, sink), lines: () => out.join('').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { level: number; msg: string }) };
}

const port = (path: string, extra: object = {}) => serialPortSchema.parse({ path, reconnect: { initialMs: 30, maxMs: 200 }, ...extra });

describe('SerialSource failures', () => {
  it('waits for a port that is not there yet, saying so once, and connects when it appears', async () => {
    const dev = join(dir, 'late-dev');
    const host = join(dir, 'late-host');
    const log = capture();
    const samples: Sample[] = [];
    const source = new SerialSource({ port: port(host), logger: log.logger });
    await source.start((s) => void samples.push(s));
    expect(source.stats().connected).toBe(false);
    await sleep(600);
    const failures = source.stats().detail!['openFailures'] as number;
    expect(failures).toBeGreaterThan(2);
    expect(log.lines().filter((l) => l.msg.includes('is not there')).length).toBe(1);
    const socat = await startPtyPair(dev, host);
    children.push(socat);
    await waitFor('connect', () => source.stats().connected, 5000);
    const sim = spawn(simBin, ['--out', dev, '--audio-hz', '0', '--depth-hz', '0'], { stdio: 'ignore' });
    children.push(sim);
    await waitFor('samples', () => samples.length > 50, 5000);
    await source.stop();
    await stopProcess(sim);
    await stopProcess(socat);
    expect(samples.every((s) => s.modality === 'imu' && s.sensorId === 'late-host/imu')).toBe(true);
  });

  it('reports a port held by another process as busy, and takes it over when freed', async () => {
    const dev = join(dir, 'busy-dev');
    const host = join(dir, 'busy-host');
    const socat = await startPtyPair(dev, host);
    children.push(socat);
    const first = new SerialSource({ port: port(host) });
    await first.start(() => {});
    expect(first.stats().connected).toBe(true);
    const log = capture();
    const second = new SerialSource({ port: port(host), logger: log.logger });
    await second.start(() => {});
    expect(second.stats().connected).toBe(false);
    expect(String(second.stats().detail!['lastError'])).toMatch(/in use by another process/);
    await sleep(300);
    expect(log.lines().filter((l) => l.msg.includes('in use by another process')).length).toBe(1);
    await first.stop();
    await waitFor('the second source to take the freed port', () => second.stats().connected, 5000);
    await second.stop();
    await stopProcess(socat);
  });

  it('says "wrong baud rate" when only garbage arrives, without crashing, and recovers when frames come', async () => {
    const dev = join(dir, 'baud-dev');
    const host = join(dir, 'baud-host');
    const socat = await startPtyPair(dev, host);
    children.push(socat);
    const log = capture();
    const samples: Sample[] = [];
    const source = new SerialSource({ port: port(host, { baudRate: 115200 }), logger: log.logger });
    await source.start((s) => void samples.push(s));
    // what a 921600-baud stream looks like at the wrong speed: bytes, some zeros, no valid frame
    const fd = openSync(dev, 'w');
    let seed = 99;
    const garbage = Buffer.alloc(8192);
    for (let i = 0; i < garbage.length; i++) garbage[i] = (seed = (seed * 1103515245 + 12345) & 0x7fffffff) >> 23;
    writeSync(fd, garbage);
    closeSync(fd);
    await waitFor('garbage detected', () => source.stats().detail!['garbage'] === true, 5000);
    const warn = log.lines().filter((l) => l.msg.includes('wrong baud rate'));
    expect(warn.length).toBe(1);
    expect(warn[0]!.msg).toContain('configured 115200 baud');
    expect(source.stats().bad).toBeGreaterThan(10);
    expect(samples.length).toBe(0);
    // the right device (or baud) comes back: frames decode again
    const sim = spawn(simBin, ['--out', dev, '--audio-hz', '0', '--depth-hz', '0'], { stdio: 'ignore' });
    children.push(sim);
    await waitFor('samples after the garbage', () => samples.length > 20, 5000);
    expect(source.stats().detail!['garbage']).toBe(false);
    await source.stop();
    await stopProcess(sim);
    await stopProcess(socat);
  });

  it('a replug: the first chunk (the tail of a frame cut by the unplug, then good frames) is no "wrong baud rate"', async () => {
    // The firmware core's own bytes (the simulator writing to a file), entered mid-frame as after an unplug.
    const stream = join(dir, 'replug.bin');
    const made = spawnSync(simBin, ['--out', stream, '--fast', '--duration', '1', '--audio-hz', '0', '--depth-hz', '0'], { stdio: 'ignore' });
    expect(made.status).toBe(0);
    const bytes = readFileSync(stream);
    const firstZero = bytes.indexOf(0, 200);
    const cut = firstZero + 20; // 20 bytes into a frame: everything up to the next delimiter is a broken frame
    const chunk = bytes.subarray(cut, cut + 4000);
    const dev = join(dir, 'replug-dev');
    const host = join(dir, 'replug-host');
    const socat = await startPtyPair(dev, host);
    children.push(socat);
    const log = capture();
    const source = new SerialSource({ port: port(host, { baudRate: 921600 }), logger: log.logger });
    await source.start(() => {});
    const fd = openSync(dev, 'w');
    writeSync(fd, chunk); // one write: the host reads it as one chunk of up to 4095 bytes
    closeSync(fd);
    await waitFor('the frames decoded', () => (source.stats().received as number) > 10, 5000);
    await sleep(200);
    expect(source.stats().bad).toBe(1); // the cut frame, counted
    expect(source.stats().detail!['garbage']).toBe(false);
    expect(log.lines().filter((l) => l.msg.includes('wrong baud rate'))).toEqual([]);
    await source.stop();
    await stopProcess(socat);
  });

  it('skips and counts a valid frame of an unknown type (newer firmware) instead of calling it bad', async () => {
    const stream = join(dir, 'unknown.bin');
    const made = spawnSync(simBin, ['--out', stream, '--fast', '--duration', '0.5', '--audio-hz', '0', '--depth-hz', '0'], { stdio: 'ignore' });
    expect(made.status).toBe(0);
    const bytes = readFileSync(stream);
    // PROTOCOL.md's shared vector for type 0x7f, CRC valid, between the firmware's own frames.
    const unknown = loadVectors().vectors.find((v) => v.error === 'unknownType')!.bytes;
    const dev = join(dir, 'unknown-dev');
    const host = join(dir, 'unknown-host');
    const socat = await startPtyPair(dev, host);
    children.push(socat);
    const log = capture();
    const samples: Sample[] = [];
    const source = new SerialSource({ port: port(host), logger: log.logger });
    await source.start((s) => void samples.push(s));
    const fd = openSync(dev, 'w');
    const half = bytes.indexOf(0, bytes.length >> 1) + 1;
    writeSync(fd, Buffer.concat([bytes.subarray(0, half), unknown, unknown, bytes.subarray(half)]));
    closeSync(fd);
    await waitFor('samples', () => samples.length > 100, 5000);
    await sleep(200);
    const st = source.stats();
    expect(st.bad).toBe(0);
    expect(st.detail).toMatchObject({ unknownType: 2, badFrames: 0, garbage: false });
    expect(st.received).toBe((st.decoded as number) + (st.skipped as number));
    expect(log.lines().filter((l) => l.msg.includes('rejected'))).toEqual([]);
    expect(log.lines().filter((l) => l.msg.includes('does not know')).length).toBe(1);
    await source.stop();
    await stopProcess(socat);
  });

  it('notices a device reboot (new boot id) and starts its clock and sequence numbers over', async () => {
    const dev = join(dir, 'boot-dev');
    const host = join(dir, 'boot-host');
    const socat = await startPtyPair(dev, host);
    children.push(socat);
    const samples: Sample[] = [];
    const source = new SerialSource({ port: port(host) });
    await source.start((s) => void samples.push(s));
    const run = (bootId: string) => spawn(simBin, ['--out', dev, '--boot-id', bootId, '--audio-hz', '0', '--depth-hz', '0'], { stdio: 'ignore' });
    const a = run('1');
    children.push(a);
    await waitFor('first boot', () => samples.length > 200, 5000);
    // a reset: the port stays (the USB-serial bridge is powered by the host), the firmware starts over
    await stopProcess(a);
    const before = samples.length;
    const b = run('2');
    children.push(b);
    await waitFor('second boot', () => samples.length > before + 200, 5000);
    const stats = source.linkStats()!;
    await source.stop();
    await stopProcess(b);
    await stopProcess(socat);
    expect(stats.deviceRestarts).toBe(1);
    expect(stats.lostFrames).toBe(0);
    expect(stats.device).toContain('boot 2');
    for (let i = 1; i < samples.length; i++) expect(samples[i]!.stamp).toBeGreaterThan(samples[i - 1]!.stamp);
  });
  it('finds the board by USB identity, and again when it re-enumerates under another name', async () => {
    const devA = join(dir, 'usb-devA');
    const hostA = join(dir, 'ttyACM0');
    const devB = join(dir, 'usb-devB');
    const hostB = join(dir, 'ttyACM1');
    const board = { vendorId: '303A', productId: '1001', serialNumber: 'F4:12:FA:00:11:22' };
    // what udev/sysfs would list: another board first, then ours under its current name
    let ours = hostA;
    const listPorts = async () => [
      { path: join(dir, 'ttyUSB0'), vendorId: '10c4', productId: 'ea60', serialNumber: '0001' },
      { path: ours, ...board },
    ];
    const socatA = await startPtyPair(devA, hostA);
    children.push(socatA);
    const samples: Sample[] = [];
    const source = new SerialSource({
      port: serialPortSchema.parse({ id: 'imu-board', usb: { vendorId: '303a', serialNumber: board.serialNumber }, reconnect: { initialMs: 30, maxMs: 200 } }),
      listPorts,
      reader: 'serialport', // the other tests read through node:tty; this one covers serialport's own stream
    });
    await source.start((s) => void samples.push(s));
    expect(source.stats().detail!['path']).toBe(hostA);
    const simA = spawn(simBin, ['--out', devA, '--audio-hz', '0', '--depth-hz', '0'], { stdio: 'ignore' });
    children.push(simA);
    await waitFor('samples from ttyACM0', () => samples.length > 50, 5000);
    // unplug; the board comes back as ttyACM1
    await stopProcess(simA);
    await stopProcess(socatA);
    await waitFor('the unplug', () => !source.stats().connected, 5000);
    ours = hostB;
    const socatB = await startPtyPair(devB, hostB);
    children.push(socatB);
    await waitFor('reconnect to ttyACM1', () => source.stats().connected, 5000);
    expect(source.stats().detail!['path']).toBe(hostB);
    const simB = spawn(simBin, ['--out', devB, '--boot-id', '7', '--audio-hz', '0', '--depth-hz', '0'], { stdio: 'ignore' });
    children.push(simB);
    const before = samples.length;
    await waitFor('samples from ttyACM1', () => samples.length > before + 50, 5000);
    expect(source.stats().detail).toMatchObject({ reconnects: 1, gaps: 1 });
    expect(new Set(samples.map((s) => s.sensorId))).toEqual(new Set(['imu-board/imu']));
    await source.stop();
    await stopProcess(simB);
    await stopProcess(socatB);
  });
});
