import { RunPhaseChangedEvent } from '../runs/run-phase-changed.event';
import { subjectMatches } from './define';
import { parseOrThrow } from './validate';
import { RuntrailError } from './errors';

describe('subjectMatches', () => {
  it.each([
    ['runs.v1.phase.*', 'runs.v1.phase.01J', true],
    ['runs.v1.phase.*', 'runs.v1.phase.01J.x', false],
    ['runs.v1.>', 'runs.v1.phase.01J', true],
    ['runs.v1.>', 'runs.v1', false],
    ['a.b', 'a.b', true],
    ['a.b', 'a.c', false],
  ])('%s vs %s -> %s', (pattern, subject, expected) => {
    expect(subjectMatches(pattern, subject)).toBe(expected);
  });
});

describe('run phase contract', () => {
  const valid = {
    runId: '01DSJ63P40BAZY4VW8BXXG7M4K',
    account: 'acme',
    spaceId: 'root',
    caller: { type: 'stack', id: '01DSJ63P40BAZY4VW8BXXG7M4M', slug: 'prod-network' },
    runType: 'TRACKED',
    phase: 'PLANNING',
    workerId: 'worker-1',
    workerPublicKey: { kty: 'EC', crv: 'P-256', x: 'a'.repeat(43), y: 'b'.repeat(43) },
    at: '2026-11-22T10:00:00.000Z',
  };

  it('derives subject and message id from the payload', () => {
    const event = parseOrThrow(RunPhaseChangedEvent.schema, valid, 'run phase event');
    expect(RunPhaseChangedEvent.subject(event)).toBe('runs.v1.phase.01DSJ63P40BAZY4VW8BXXG7M4K');
    expect(RunPhaseChangedEvent.msgId(event)).toBe('01DSJ63P40BAZY4VW8BXXG7M4K:PLANNING');
  });

  it('refuses a worker key that carries a private parameter, naming the field', () => {
    const withPrivate = { ...valid, workerPublicKey: { ...valid.workerPublicKey, d: 'c'.repeat(43) } };
    expect(() => parseOrThrow(RunPhaseChangedEvent.schema, withPrivate, 'run phase event')).toThrow(RuntrailError);
    try {
      parseOrThrow(RunPhaseChangedEvent.schema, withPrivate, 'run phase event');
    } catch (error) {
      expect((error as RuntrailError).code).toBe('VALIDATION_FAILED');
      expect((error as RuntrailError).issues?.[0]?.path).toBe('workerPublicKey.d');
    }
  });
});
