import { RUN_TYPES, type Phase } from '@runtrail/contracts';
import { nextPhases } from './run-lifecycle';

describe('nextPhases', () => {
  it('walks a tracked run QUEUED → INITIALIZING → PLANNING → APPLYING → FINISHED', () => {
    expect(nextPhases('TRACKED', 'QUEUED')).toEqual(['INITIALIZING', 'PLANNING', 'FAILED', 'STOPPED']);
    expect(nextPhases('TRACKED', 'INITIALIZING')).toEqual(['PLANNING', 'FAILED', 'STOPPED']);
    expect(nextPhases('TRACKED', 'PLANNING')).toEqual(['APPLYING', 'FINISHED', 'FAILED', 'STOPPED']);
    expect(nextPhases('TRACKED', 'APPLYING')).toEqual(['FINISHED', 'FAILED', 'STOPPED']);
  });

  it('never lets a proposed run apply, nor a task plan', () => {
    expect(nextPhases('PROPOSED', 'PLANNING')).not.toContain('APPLYING');
    expect(nextPhases('TASK', 'QUEUED')).toEqual(['INITIALIZING', 'PERFORMING', 'FAILED', 'STOPPED']);
    expect(nextPhases('TASK', 'INITIALIZING')).not.toContain('PLANNING');
  });

  it('keeps terminal phases final for every run type', () => {
    for (const type of RUN_TYPES)
      for (const end of ['FINISHED', 'FAILED', 'STOPPED'] as Phase[])
        expect(nextPhases(type, end)).toEqual([]);
  });
});
