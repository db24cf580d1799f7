export { startAwsEmulator, type AwsEmulator, type SeededCredential } from './start-aws-emulator';
export type { AwsEmulatorOptions } from './lib/emulator-options.schema';
export type { EmulatorStateView, RoleView, SessionView } from './lib/emulator-state.view';
export type { FaultRule, ValidFaultRule } from './lib/faults/fault-rule.schema';
export type { RequestCount } from './lib/http/request-counter';
export { loadSeed } from './lib/seed/load-seed';
export { seedSchema, type Seed, type ValidSeed } from './lib/seed/seed.schema';
