import { expect, it } from 'vitest';
import { z } from 'zod';
import { formatIssues } from '../../src/config/zod-issues.js';

it('says where, what was expected and what was found; a limit says how many more', () => {
  const schema = z.strictObject({ a: z.array(z.strictObject({ n: z.number().int() })) });
  const input = { a: [{ n: 'x' }, { n: 1.5 }, { n: 2, extra: true }] };
  const result = schema.safeParse(input);
  expect(result.success).toBe(false);
  const issues = result.error!.issues;
  expect(formatIssues(issues, input)).toEqual([
    'a[0].n: expected number, got "x"',
    'a[1].n: expected int, got 1.5',
    'a[2]: unknown key "extra"',
  ]);
  expect(formatIssues(issues, input, 1)).toEqual(['a[0].n: expected number, got "x"', '... and 2 more']);
});
