import { planPhases } from './run-phases';

describe('planPhases', () => {
  it('runs a tracked run command while applying, after planning with read credentials', () => {
    expect(planPhases('TRACKED')).toEqual({ before: ['INITIALIZING', 'PLANNING'], commandPhase: 'APPLYING' });
  });

  it('can run the command in the plan phase of a tracked run', () => {
    expect(planPhases('TRACKED', 'PLANNING')).toEqual({ before: ['INITIALIZING'], commandPhase: 'PLANNING' });
  });

  it('only plans a proposed run and only performs a task', () => {
    expect(planPhases('PROPOSED').commandPhase).toBe('PLANNING');
    expect(planPhases('TASK')).toEqual({ before: ['INITIALIZING'], commandPhase: 'PERFORMING' });
  });

  it('refuses a phase the run type never enters', () => {
    expect(() => planPhases('PROPOSED', 'APPLYING')).toThrow(
      'a PROPOSED run has no APPLYING phase with credentials; use one of PLANNING',
    );
  });
});
