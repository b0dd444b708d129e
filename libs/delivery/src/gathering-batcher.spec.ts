import { GatheringBatcher } from './gathering-batcher';

describe('GatheringBatcher', () => {
  it('runs a lone item at once and gathers the items submitted while a batch is in flight', async () => {
    const batches: number[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const batcher = new GatheringBatcher<number, string>(async (items) => {
      batches.push(items);
      if (batches.length === 1) await gate;
      return items.map((i) => `#${i}`);
    }, 3);
    const first = batcher.submit(1);
    const rest = [2, 3, 4, 5].map((i) => batcher.submit(i));
    release();
    expect(await Promise.all([first, ...rest])).toEqual(['#1', '#2', '#3', '#4', '#5']);
    expect(batches).toEqual([[1], [2, 3, 4], [5]]);
  });

  it('runs the items of a failed batch one by one, so only the bad one fails', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let calls = 0;
    const batcher = new GatheringBatcher<number, number>(async (items) => {
      calls += 1;
      if (calls === 1) await gate;
      if (items.includes(13)) throw new Error('unlucky');
      return items.map((i) => i * 2);
    }, 10);
    const held = batcher.submit(0);
    const results = Promise.allSettled([12, 13, 14].map((i) => batcher.submit(i)));
    release();
    await held;
    expect((await results).map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual([24, 'unlucky', 28]);
  });
});
