/**
 * CLIP's text cleaning (basic_clean + whitespace_clean + lower) without ftfy's mojibake detection.
 *
 * ftfy.fix_text is a Python heuristic library; what is reproduced here are its deterministic fixes that the
 * tokenizer can meet in prompts: terminal escapes removed, C1 controls read as Windows-1252, Latin
 * ligatures and full-width forms expanded, curly quotes straightened, line breaks unified, control
 * characters removed, NFC. Not reproduced: re-decoding mojibake ("SchÃ¶n" -> "Schön") and ftfy's own HTML
 * unescaping (Python's html.unescape then runs twice, as in CLIP, and is exact: html-unescape below).
 * test/golden/make_golden.py implements the same subset in Python and the token ids are compared.
 */
import { HTML5_NAMED, INVALID_CHARREFS, INVALID_CODEPOINTS } from './html-entities.js';

const CHARREF = /&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)/g;

function replaceCharref(_m: string, s: string): string {
  if (s[0] === '#') {
    const hex = s[1] === 'x' || s[1] === 'X';
    const digits = s.slice(hex ? 2 : 1).replace(/;$/, '');
    // Python's int() is unbounded; anything past U+10FFFF maps to U+FFFD anyway.
    const num = digits.length > 8 ? Infinity : parseInt(digits, hex ? 16 : 10);
    const remapped = INVALID_CHARREFS[num];
    if (remapped !== undefined) return remapped;
    if ((num >= 0xd800 && num <= 0xdfff) || num > 0x10ffff) return '\uFFFD';
    if (INVALID_CODEPOINTS.has(num)) return '';
    return String.fromCodePoint(num);
  }
  const named = HTML5_NAMED[s];
  if (named !== undefined) return named;
  for (let x = s.length - 1; x > 1; x--) {
    const prefix = HTML5_NAMED[s.slice(0, x)];
    if (prefix !== undefined) return prefix + s.slice(x);
  }
  return '&' + s;
}

/** Python's html.unescape. */
export function htmlUnescape(s: string): string {
  return s.includes('&') ? s.replace(CHARREF, replaceCharref) : s;
}

// Windows-1252 for 0x80..0x9F (undefined bytes stay as they are, as in ftfy's fix_c1_controls).
const CP1252 = '\u20ac\x81\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\x8d\u017d\x8f\x90\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\x9d\u017e\u0178';
const LIGATURES = 'ĲĳŉǄǅǆǇǈǉǊǋǌǱǲǳﬀﬁﬂﬃﬄﬅﬆ';
const LIGATURE_RE = new RegExp(`[${LIGATURES}]`, 'gu');
// eslint-disable-next-line no-control-regex -- matching terminal escapes is the point
const TERMINAL_ESCAPE = /\x1b\[((?:\d|;)*)([a-zA-Z])/g;
const C1 = /[\x80-\x9f]/g;
// ftfy's width map: U+FF01..U+FFEF to their NFKC form when it differs, and the ideographic space.
const WIDTH = /[\u3000\uff01-\uffef]/g;
const SINGLE_QUOTE = /[\u02bc\u2018-\u201b]/g;
const DOUBLE_QUOTE = /[\u201c-\u201f]/g;
const LINE_BREAK = /\r\n|[\r\u2028\u2029\x85]/g;
// eslint-disable-next-line no-control-regex -- removing control characters is the point
const CONTROL = /[\x00-\x08\x0b\x0e-\x1f\x7f\u206a-\u206f\ufeff\ufff9-\ufffc]/g;

function fixOnce(t: string): string {
  t = t.replace(TERMINAL_ESCAPE, '');
  t = t.replace(C1, (c) => CP1252[c.charCodeAt(0) - 0x80]!);
  t = t.replace(LIGATURE_RE, (c) => c.normalize('NFKC'));
  t = t.replace(WIDTH, (c) => (c === '\u3000' ? ' ' : c.normalize('NFKC')));
  t = t.replace(SINGLE_QUOTE, "'").replace(DOUBLE_QUOTE, '"');
  t = t.replace(LINE_BREAK, '\n');
  t = t.replace(CONTROL, '');
  return t.normalize('NFC');
}

/** The ftfy subset, repeated until nothing changes (ftfy iterates the same way). */
function fixText(text: string): string {
  for (let i = 0; i < 16; i++) {
    const next = fixOnce(text);
    if (next === text) return next;
    text = next;
  }
  return text;
}

/** Unicode White_Space, as the `regex` module's \s matches it (JS's \s differs: U+FEFF in, U+0085 out). */
export const WS = '\\t\\n\\v\\f\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const WS_RUN = new RegExp(`[${WS}]+`, 'g');
const PY_STRIP = new RegExp(`^[${WS}\\x1c-\\x1f]+|[${WS}\\x1c-\\x1f]+$`, 'g');

const PRINTABLE_ASCII = /^[\x20-\x7e\t\n]*$/;

/** whitespace_clean(basic_clean(text)).lower() of CLIP's simple_tokenizer. */
export function cleanText(text: string): string {
  // Printable ASCII is a fixed point of every ftfy fix above (the common case for prompts): skip them.
  let t = PRINTABLE_ASCII.test(text) ? text : fixText(text);
  t = htmlUnescape(htmlUnescape(t)).replace(PY_STRIP, '');
  t = t.replace(WS_RUN, ' ').replace(PY_STRIP, '');
  return t.toLowerCase();
}
