import { Injectable, type ArgumentMetadata, type PipeTransform } from '@nestjs/common';
import { parseOrThrow, ulid } from '@runtrail/contracts';
import { z } from 'zod';

/**
 * A path id (`{id}`, `{runId}`) checked before any database access: every id of the API is a ULID,
 * so anything else (`%00`, a slug, 10,000 characters) is a 400 naming the parameter, never a query.
 * Pipes run after guards, so an unauthenticated caller still gets the 401 first.
 */
@Injectable()
export class UlidParamPipe implements PipeTransform<unknown, string> {
  transform(value: unknown, metadata: ArgumentMetadata): string {
    const name = metadata.data ?? 'id';
    return parseOrThrow(z.object({ [name]: ulid }), { [name]: value }, 'path')[name] as string;
  }
}
