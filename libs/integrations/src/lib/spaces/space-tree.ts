import type { EntityManager } from '@mikro-orm/core';
import { Space } from '../storage/space.entity';

/** An account's spaces as a tree, read once per request (accounts have tens of spaces, not millions). */
export class SpaceTree {
  private constructor(private readonly parentOf: ReadonlyMap<string, string | null>) {}

  static async load(em: EntityManager, account: string): Promise<SpaceTree> {
    const spaces = await em.find(Space, { account }, { fields: ['slug', 'parent'] });
    return new SpaceTree(new Map(spaces.map((s) => [s.slug, s.parent ?? null])));
  }

  has(spaceId: string): boolean {
    return this.parentOf.has(spaceId);
  }

  /** `spaceId` and every space below it. */
  subtree(spaceId: string): Set<string> {
    const result = new Set<string>();
    for (const candidate of this.parentOf.keys()) {
      if (this.ancestorsOf(candidate).includes(spaceId)) result.add(candidate);
    }
    return result;
  }

  /** `spaceId` itself, then its parent, up to `root`. */
  ancestorsOf(spaceId: string): string[] {
    const chain: string[] = [];
    let current: string | null | undefined = spaceId;
    while (current && !chain.includes(current)) {
      chain.push(current);
      current = this.parentOf.get(current);
    }
    return chain;
  }
}
