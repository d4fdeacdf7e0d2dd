// Every item a bag replay yields, and its summary (readBag's return value).
import { readBag, type BagItem, type BagSummary } from '../../src/sources/bag.js';

export async function drainBag(path: string): Promise<{ items: BagItem[]; summary: BagSummary }> {
  const items: BagItem[] = [];
  const gen = readBag(path);
  for (;;) {
    const r = await gen.next();
    if (r.done === true) return { items, summary: r.value };
    items.push(r.value);
  }
}
