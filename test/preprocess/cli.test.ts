// `sensebind preprocess` end to end through the command module, plus the bad inputs the issue lists: each
// must fail with a message naming the file and the problem, and a non-zero exit code.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mustData } from '../helpers/data.js';
import { runCommandCaptured, type CommandResult } from '../helpers/run-command.js';
import { command } from '../../src/cli/commands/preprocess.js';

const dir = mkdtempSync(join(tmpdir(), 'sensebind-preprocess-'));

function run(argv: string[]): Promise<CommandResult> {
  return runCommandCaptured(command, argv, () => Promise.reject(new Error('not used')));
}

const base = (modality: string, input: string, out = join(dir, 'out.bin')) => ['--model', 'models/imagebind', '--modality', modality, '--input', input, '--out', out];

describe('sensebind preprocess', () => {
  it('writes an audio file as raw float32 [3,1,128,204] and prints its shape', async () => {
    const out = join(dir, 'audio.bin');
    const r = await run(base('audio', mustData('audio/esc10/dog_bark__1-100032-A.wav'), out));
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ shape: [3, 1, 128, 204], dtype: 'float32' });
    expect(readFileSync(out).length).toBe(3 * 128 * 204 * 4);
  });

  it('writes text as int64 [77]', async () => {
    const out = join(dir, 'text.bin');
    const r = await run(['--model', 'models/imagebind', '--modality', 'text', '--text', 'a dog', '--out', out]);
    expect(JSON.parse(r.stdout)).toEqual({ shape: [77], dtype: 'int64' });
    const bytes = readFileSync(out);
    const ids = new BigInt64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
    expect(Array.from(ids.slice(0, 4), Number)).toEqual([49406, 320, 1929, 49407]);
  });

  it('reads .f32 depth with --shape and vision/imu files', async () => {
    const f = join(dir, 'd.f32');
    writeFileSync(f, Buffer.from(new Float32Array(30 * 40).fill(1.5).buffer));
    expect((await run([...base('depth', f), '--shape', '30x40'])).stdout).toContain('[1,224,224]');
    expect((await run(base('vision', mustData('depth/tum/TUM_color.png')))).stdout).toContain('[3,224,224]');
    const csv = join(dir, 'imu.csv');
    writeFileSync(csv, 't,ax,ay,az,gx,gy,gz\n0,0,0,9.8,0,0,0\n0.01,0,0,9.8,0,0,0.1\n');
    expect((await run(base('imu', csv))).stdout).toContain('[6,2000]');
  });

  const bad: [string, () => [string, string], RegExp][] = [
    ['missing file', () => ['audio', join(dir, 'nope.wav')], /nope\.wav: cannot read \(file not found\)/],
    ['not a wav', () => ['audio', write('x.wav', 'hello, not audio at all')], /x\.wav: not a WAV file/],
    ['empty wav', () => ['audio', write('empty.wav', wav(0))], /empty\.wav: empty/],
    ['truncated wav', () => ['audio', write('trunc.wav', wav(1000).subarray(0, 400))], /trunc\.wav: truncated/],
    ['truncated jpeg', () => ['vision', write('t.jpg', readFileSync(mustData('depth/rtabmap/rgb/17.jpg')).subarray(0, 5000))], /t\.jpg: /],
    ['not an image', () => ['vision', write('n.png', 'plain text')], /n\.png: not a readable image/],
    ['csv missing columns', () => ['imu', write('m.csv', 't,ax,az,gx,gy,gz\n0,1,3,0,0,0\n')], /m\.csv: line 1: missing column\(s\) ay/],
    ['csv time backwards', () => ['imu', write('b.csv', 't,ax,ay,az,gx,gy,gz\n1,0,0,0,0,0,0\n0.5,0,0,0,0,0,0\n')], /b\.csv: line 3: time goes backwards/],
    ['csv bad number', () => ['imu', write('c.csv', 't,ax,ay,az,gx,gy,gz\n0,0,0,0,0,0,0\n1,0,x,0,0,0,0\n')], /c\.csv: line 3: column ay is "x"/],
    ['colour image as depth', () => ['depth', mustData('depth/tum/TUM_color.png')], /TUM_color\.png: has 3 colour channels/],
    // Read as vision, the 16-bit depth frame would become an almost black picture without a word.
    ['16-bit depth png as vision', () => ['vision', mustData('depth/tum/TUM_depth.png')], /TUM_depth\.png: a 16-bit single-channel image \(a depth or thermal frame\), not a camera picture; use --modality depth/],
    ['f32 of the wrong size', () => ['depth', write('w.f32', Buffer.alloc(10))], /w\.f32: /],
  ];
  it.each(bad)('%s: names the file and the problem, exits non-zero', async (_n, make, message) => {
    const [modality, input] = make();
    const r = await run([...base(modality, input), ...(input.endsWith('.f32') ? ['--shape', '3x4'] : [])]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(message);
  });

  it('usage errors exit 2', async () => {
    expect((await run(['--model', 'models/imagebind', '--modality', 'smell', '--text', 'x', '--out', 'o'])).code).toBe(2);
    expect((await run(['--model', 'models/imagebind', '--modality', 'audio', '--out', 'o'])).code).toBe(2);
    expect((await run([...base('depth', join(dir, 'x.f32'))])).code).toBe(2);
  });
});

function write(name: string, content: string | Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

/** A 16-bit mono 16 kHz wav with `n` samples. */
function wav(n: number): Uint8Array {
  const b = Buffer.alloc(44 + n * 2);
  b.write('RIFF', 0);
  b.writeUInt32LE(36 + n * 2, 4);
  b.write('WAVEfmt ', 8);
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20);
  b.writeUInt16LE(1, 22);
  b.writeUInt32LE(16000, 24);
  b.writeUInt32LE(32000, 28);
  b.writeUInt16LE(2, 32);
  b.writeUInt16LE(16, 34);
  b.write('data', 36);
  b.writeUInt32LE(n * 2, 40);
  return b;
}
