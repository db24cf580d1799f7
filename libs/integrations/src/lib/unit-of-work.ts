import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/core';
import { InjectEntityManager, toRuntrailError } from '@runtrail/persistence';
import { OutboxRelay } from './outbox/outbox.relay';

/**
 * One transaction per write: everything `work` changes, and the outbox rows it enqueues, commit
 * together or not at all (invalid input never writes). The relay is woken after the commit.
 */
@Injectable()
export class UnitOfWork {
  constructor(
    @InjectEntityManager('integrations') private readonly em: EntityManager,
    private readonly relay: OutboxRelay,
  ) {}

  async write<T>(what: string, work: (em: EntityManager) => Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await this.em.fork().transactional(work);
    } catch (error) {
      throw toRuntrailError(error, what);
    }
    void this.relay.wake();
    return result;
  }

  /** A fresh EntityManager for reads. */
  read(): EntityManager {
    return this.em.fork();
  }
}
