// Text against the Python reference tokenizer (OpenAI simple_tokenizer as ImageBind vendors it, run by
// test/golden/make_golden.py over 200+ strings), plus the layout rules and the speed target.
import { describe, expect, it } from 'vitest';
import { preprocessText } from '../../src/preprocess/index.js';
import { defaultPreprocess } from '../../src/preprocess/params.js';
import { htmlUnescape } from '../../src/preprocess/text-clean.js';
import { loadTokenizer } from '../../src/preprocess/tokenizer.js';
import { golden } from './golden.js';

const params = defaultPreprocess('text');
const cases = golden.text.cases as { text: string; ids: number[] }[];

function ids(text: string, p = params): number[] {
  const t = preprocessText(text, p);
  return Array.from(t.data as BigInt64Array, Number);
}

describe('CLIP BPE tokenizer', () => {
  it(`matches the reference token ids on all ${cases.length} golden strings`, () => {
    expect(cases.length).toBeGreaterThanOrEqual(200);
    const mismatches: string[] = [];
    for (const c of cases) {
      const ours = ids(c.text);
      const ref = [...c.ids, ...new Array<number>(77 - c.ids.length).fill(0)];
      if (ours.join(',') !== ref.join(',')) mismatches.push(`${JSON.stringify(c.text)}: ours ${ours.slice(0, 12).join(' ')} ref ${ref.slice(0, 12).join(' ')}`);
    }
    expect(mismatches).toEqual([]);
  });

  it('lays out SOT, tokens, EOT and zero padding as int64 [77]', () => {
    const t = preprocessText('a photo of a dog.', params);
    expect(t.dtype).toBe('int64');
    expect(t.dims).toEqual([77]);
    expect(ids('a photo of a dog.').slice(0, 9)).toEqual([49406, 320, 1125, 539, 320, 1929, 269, 49407, 0]);
  });

  it("keeps EOT on long texts ('keep'), drops it with 'truncate'", () => {
    const long = 'word '.repeat(100);
    const keep = ids(long);
    expect(keep[76]).toBe(49407);
    expect(keep.filter((x) => x === 49407)).toHaveLength(1);
    const cut = ids(long, { ...params, eot: 'truncate' });
    expect(cut).not.toContain(49407);
    expect(cut.slice(0, 76)).toEqual(keep.slice(0, 76));
  });

  it('unescapes HTML like Python html.unescape', () => {
    expect(htmlUnescape('&amp;amp;')).toBe('&amp;');
    expect(htmlUnescape('&notit;')).toBe('¬it;');
    expect(htmlUnescape('&#128;&#x110000;&#0;')).toBe('\u20ac\ufffd\ufffd');
  });

  it('tokenises a short prompt in microseconds once warm', () => {
    const tok = loadTokenizer(params.vocabulary);
    const prompts = ['a photo of a dog.', 'the sound of glass breaking', 'a robot tipping over', 'person approaching'];
    for (const p of prompts) tok.tokenize(p, params);
    const n = 20000;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) tok.tokenize(prompts[i % prompts.length]!, params);
    const us = ((performance.now() - t0) * 1000) / n;
    console.log(`tokenize: ${us.toFixed(2)} us per short prompt (warm cache)`);
    expect(us).toBeLessThan(100);
  });
});
