// Jest's global setup runs outside the test runtime, so its `moduleNameMapper` does not apply there.
// Imported first by global-setup.ts: resolves `@runtrail/<lib>` through tsconfig.base.json's paths,
// so the setup can use the workspace's own libs (the nats-server helper runs libs/messaging's setup).
import Module from 'node:module';
import { join } from 'node:path';

const root = join(__dirname, '../../../..');
const { compilerOptions } = require(join(root, 'tsconfig.base.json')) as {
  compilerOptions: { paths: Record<string, string[]> };
};
type Resolve = (request: string, ...rest: unknown[]) => string;
const loader = Module as unknown as { _resolveFilename: Resolve };
const original = loader._resolveFilename;
loader._resolveFilename = (request, ...rest) => {
  const target = compilerOptions.paths[request]?.[0];
  return original(target ? join(root, target) : request, ...rest);
};
