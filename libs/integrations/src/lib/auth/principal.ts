import { RuntrailError } from '@runtrail/contracts';
import type { ApiKeyRole } from '../storage/api-key.entity';

/** Who is calling: an authenticated API key of one account, maybe limited to a space subtree. */
export class Principal {
  constructor(
    readonly keyId: string,
    readonly account: string,
    readonly role: ApiKeyRole,
    readonly spaceSubtree: string | null,
    /** Null: every space of the account. */
    private readonly visible: ReadonlySet<string> | null,
  ) {}

  get visibleSpaces(): string[] | null {
    return this.visible ? [...this.visible].sort() : null;
  }

  canSee(spaceId: string): boolean {
    return this.visible === null || this.visible.has(spaceId);
  }

  /** @throws RuntrailError `FORBIDDEN` for a reader or scheduler key. */
  requireAdmin(): void {
    if (this.role !== 'admin')
      throw new RuntrailError('FORBIDDEN', `this API key is a ${this.role} key; writing needs an admin key`);
  }

  /** @throws RuntrailError `FORBIDDEN` unless the key is a scheduler or admin key. */
  requireScheduler(): void {
    if (this.role !== 'scheduler' && this.role !== 'admin')
      throw new RuntrailError(
        'FORBIDDEN',
        'this API key is a reader key; runs need a scheduler or admin key',
      );
  }

  /**
   * @throws RuntrailError `VALIDATION_FAILED` when the key may not use `spaceId`; the same answer as a
   *   space that does not exist, so a limited key learns nothing about spaces outside its subtree.
   */
  requireSpace(spaceId: string, field = 'spaceId'): void {
    if (!this.canSee(spaceId)) {
      throw new RuntrailError(
        'VALIDATION_FAILED',
        `space '${spaceId}' does not exist or is outside this key's spaces`,
        [{ path: field, rule: 'must be an existing space this API key may use' }],
      );
    }
  }
}

/** @throws RuntrailError `VALIDATION_FAILED`: `spaceId` is not a space of the account. */
export function unknownSpace(spaceId: string, field = 'spaceId'): never {
  throw new RuntrailError(
    'VALIDATION_FAILED',
    `space '${spaceId}' does not exist or is outside this key's spaces`,
    [{ path: field, rule: 'must be an existing space this API key may use' }],
  );
}
