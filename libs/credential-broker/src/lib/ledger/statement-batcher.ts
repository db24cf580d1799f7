/**
 * Runs one statement for many concurrent callers at once. Calls queue while a batch of the same
 * statement is in flight and go together, as one round trip, when it returns; with nothing in
 * flight a call waits for no more than the current turn of the event loop. So under load a batch
 * holds whatever arrived during one round trip, and a lone call costs about what it did alone.
 *
 * A batch never holds two calls with the same key (the later waits for the next batch, so calls on
 * one row keep their order and one statement never touches a row twice), and its items are sorted
 * by key, so that two replicas' batches lock shared rows in the same order. When a batch fails it
 * is retried item by item, so one bad item fails only its own call.
 */
export class StatementBatcher<I> {
  private queue: Array<Pending<I>> = [];
  private running = false;

  /**
   * @param execute runs the statement for `items` (distinct keys, sorted by key) and returns the
   *   keys of the rows it changed
   */
  constructor(
    private readonly execute: (items: I[]) => Promise<Set<string>>,
    private readonly keyOf: (item: I) => string,
    private readonly maxBatch = 500,
  ) {}

  /** Resolves true when the statement changed the item's row. */
  submit(item: I): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      this.queue.push({ item, key: this.keyOf(item), resolve, reject });
      if (!this.running) {
        this.running = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch: Array<Pending<I>> = [];
      const keys = new Set<string>();
      const later: Array<Pending<I>> = [];
      for (const pending of this.queue) {
        if (batch.length < this.maxBatch && !keys.has(pending.key)) {
          keys.add(pending.key);
          batch.push(pending);
        } else {
          later.push(pending);
        }
      }
      this.queue = later;
      batch.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      await this.run(batch);
    }
    this.running = false;
  }

  private async run(batch: Array<Pending<I>>): Promise<void> {
    try {
      const changed = await this.execute(batch.map((p) => p.item));
      for (const p of batch) p.resolve(changed.has(p.key));
    } catch (error) {
      const [only] = batch;
      if (only && batch.length === 1) return only.reject(error);
      for (const p of batch) await this.run([p]);
    }
  }
}

interface Pending<I> {
  item: I;
  key: string;
  resolve: (changed: boolean) => void;
  reject: (error: unknown) => void;
}
