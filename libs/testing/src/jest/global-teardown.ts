import { stopGlobalResources } from './global-state';

export default async function globalTeardown(): Promise<void> {
  await stopGlobalResources();
}
