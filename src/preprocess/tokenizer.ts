/**
 * CLIP's byte-level BPE tokenizer (OpenAI simple_tokenizer, as vendored by ImageBind), reading the gzipped
 * merges file. Tokens are BPE'd once and cached, so a short prompt costs microseconds after warm-up.
 * Layout (ImageBind HEAD): SOT, tokens truncated to contextLength - 2, EOT always kept, zero padding.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { SensebindError, errorMessage } from '../core/errors.js';
import type { TextPreprocess } from './params.js';
import type { Tensor } from './tensor.js';
import { WS, cleanText } from './text-clean.js';

/** GPT-2's reversible byte -> printable unicode map, in its construction order. */
function bytesToUnicode(): [number[], string[]] {
  const bs: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n);
      n++;
    }
  }
  return [bs, cs.map((c) => String.fromCharCode(c))];
}

const SPLIT = new RegExp(`<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|\\p{L}+|\\p{N}|[^${WS}\\p{L}\\p{N}]+`, 'giu');
const ASCII_TOKEN = /^[\x21-\x7e]+$/;
const SOT = '<|startoftext|>';
const EOT = '<|endoftext|>';
const MERGES = 49152 - 256 - 2;

class ClipTokenizer {
  readonly #encoder = new Map<string, number>();
  readonly #ranks = new Map<string, number>();
  readonly #byteEncoder: string[] = new Array<string>(256);
  readonly #cache = new Map<string, number[]>();
  readonly #utf8 = new TextEncoder();
  readonly sot: number;
  readonly eot: number;

  /** `merges` is the decompressed vocabulary file. */
  constructor(merges: string) {
    const [bs, cs] = bytesToUnicode();
    bs.forEach((b, i) => (this.#byteEncoder[b] = cs[i]!));
    const lines = merges.split('\n').slice(1, MERGES + 1);
    if (lines.length !== MERGES) throw new Error(`vocabulary has ${lines.length} merges, expected ${MERGES}`);
    const vocab = [...cs, ...cs.map((c) => c + '</w>')];
    lines.forEach((line, rank) => {
      const parts = line.split(' ');
      if (parts.length !== 2) throw new Error(`merge line ${rank + 2} is ${JSON.stringify(line)}, expected two symbols`);
      this.#ranks.set(line, rank);
      vocab.push(parts[0]! + parts[1]!);
    });
    vocab.push(SOT, EOT);
    vocab.forEach((v, i) => this.#encoder.set(v, i));
    this.sot = this.#encoder.get(SOT)!;
    this.eot = this.#encoder.get(EOT)!;
    this.#cache.set(SOT, [this.sot]);
    this.#cache.set(EOT, [this.eot]);
  }

  get vocabSize(): number {
    return this.#encoder.size;
  }

  /** BPE of one pre-token (already byte-encoded), as ids. */
  #bpe(token: string): number[] {
    const cached = this.#cache.get(token);
    if (cached) return cached;
    const chars = Array.from(token);
    let word = chars.slice(0, -1);
    word.push(chars[chars.length - 1]! + '</w>');
    while (word.length > 1) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i < word.length - 1; i++) {
        const r = this.#ranks.get(word[i] + ' ' + word[i + 1]);
        if (r !== undefined && r < bestRank) {
          bestRank = r;
          best = i;
        }
      }
      if (best < 0) break;
      const first = word[best]!;
      const second = word[best + 1]!;
      const next: string[] = [];
      for (let i = 0; i < word.length; ) {
        if (i < word.length - 1 && word[i] === first && word[i + 1] === second) {
          next.push(first + second);
          i += 2;
        } else {
          next.push(word[i]!);
          i++;
        }
      }
      word = next;
    }
    const ids = word.map((w) => {
      const id = this.#encoder.get(w);
      if (id === undefined) throw new Error(`BPE produced ${JSON.stringify(w)}, which is not in the vocabulary`);
      return id;
    });
    // Unbounded growth is not a risk worth a policy: distinct words in prompts number in the thousands.
    if (this.#cache.size < 100_000) this.#cache.set(token, ids);
    return ids;
  }

  /** Token ids of a text, without SOT/EOT. */
  encode(text: string): number[] {
    const out: number[] = [];
    for (const m of cleanText(text).matchAll(SPLIT)) {
      // Bytes 0x21..0x7E map to themselves, so printable-ASCII pre-tokens (never spaces) need no re-encoding.
      let token = m[0];
      if (!ASCII_TOKEN.test(token)) {
        token = '';
        for (const b of this.#utf8.encode(m[0])) token += this.#byteEncoder[b]!;
      }
      for (const id of this.#bpe(token)) out.push(id);
    }
    return out;
  }

  /** The model input: int64 [contextLength]. */
  tokenize(text: string, params: TextPreprocess): Tensor {
    const n = params.contextLength;
    const data = new BigInt64Array(n);
    if (params.padId !== 0) data.fill(BigInt(params.padId));
    let tokens = [this.sot, ...this.encode(text)];
    if (params.eot === 'keep') {
      tokens = tokens.slice(0, n - 1);
      tokens.push(this.eot);
    } else {
      tokens.push(this.eot);
      tokens = tokens.slice(0, n);
    }
    tokens.forEach((t, i) => (data[i] = BigInt(t)));
    return { dtype: 'int64', dims: [n], data };
  }
}

/** The project's bundled tokenizer folder (models/tokenizers), found from this module's location. */
function bundledTokenizerDir(): string {
  // src/preprocess or dist/preprocess -> repository root
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'models', 'tokenizers');
}

const loaded = new Map<string, ClipTokenizer>();

/** Resolves `vocabulary` (model folder first, then models/tokenizers) and loads it once per path. */
export function loadTokenizer(vocabulary: string, modelDir?: string): ClipTokenizer {
  const candidates = [
    ...(modelDir !== undefined ? [resolve(modelDir, vocabulary)] : []),
    join(bundledTokenizerDir(), vocabulary),
  ];
  const path = candidates.find((p) => existsSync(p));
  if (path === undefined) {
    throw new SensebindError('MODEL', `tokenizer vocabulary ${JSON.stringify(vocabulary)} not found (looked in ${candidates.join(', ')})`);
  }
  let tok = loaded.get(path);
  if (tok) return tok;
  try {
    tok = new ClipTokenizer(gunzipSync(readFileSync(path)).toString('utf8'));
  } catch (err) {
    throw new SensebindError('MODEL', `tokenizer vocabulary ${path}: ${errorMessage(err)}`);
  }
  loaded.set(path, tok);
  return tok;
}
