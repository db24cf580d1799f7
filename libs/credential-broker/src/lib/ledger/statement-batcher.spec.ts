import { StatementBatcher } from './statement-batcher';

interface Item {
  key: string;
  value: number;
}

/** A batcher over a fake statement that records each batch and changes the rows `changes` allows. */
function recording(changes: (item: Item) => boolean = () => true, failWhen: (item: Item) => boolean = () => false) {
  const batches: Item[][] = [];
  const batcher = new StatementBatcher<Item>(async (items) => {
    batches.push(items);
    await new Promise((r) => setTimeout(r, 5));
    if (items.some(failWhen)) throw new Error(`statement failed for ${items.map((i) => i.key).join(',')}`);
    return new Set(items.filter(changes).map((i) => i.key));
  }, (item) => item.key);
  return { batcher, batches };
}

describe('StatementBatcher', () => {
  it('runs the calls of one turn as one batch, sorted by key, and tells each call whether its row changed', async () => {
    const { batcher, batches } = recording((item) => item.value !== 2);
    const results = await Promise.all(
      ['c', 'a', 'b'].map((key, value) => batcher.submit({ key, value: value + 1 })),
    );
    expect(results).toEqual([true, false, true]); // c, a (value 2: unchanged), b
    expect(batches.map((b) => b.map((i) => i.key))).toEqual([['a', 'b', 'c']]);
  });

  it('gathers the calls made while a batch is in flight into the next one', async () => {
    const { batcher, batches } = recording();
    const first = batcher.submit({ key: 'a', value: 1 });
    await new Promise((r) => setTimeout(r, 1)); // the first batch is in flight
    await Promise.all([first, batcher.submit({ key: 'b', value: 2 }), batcher.submit({ key: 'c', value: 3 })]);
    expect(batches.map((b) => b.map((i) => i.key))).toEqual([['a'], ['b', 'c']]);
  });

  it('never puts two calls on one key into a batch: the later one waits, in order', async () => {
    const { batcher, batches } = recording();
    await Promise.all([
      batcher.submit({ key: 'a', value: 1 }),
      batcher.submit({ key: 'a', value: 2 }),
      batcher.submit({ key: 'b', value: 3 }),
    ]);
    expect(batches.map((b) => b.map((i) => i.value))).toEqual([[1, 3], [2]]);
  });

  it('retries a failed batch item by item, so only the bad item fails', async () => {
    const { batcher, batches } = recording(undefined, (item) => item.key === 'bad');
    const results = await Promise.allSettled(
      ['a', 'bad', 'c'].map((key, value) => batcher.submit({ key, value })),
    );
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(batches).toHaveLength(4);
  });
});
