// Resources started by the global setup live in the Jest parent process until the global teardown.
type Stoppable = { stop(): Promise<void> };

const KEY = '__runtrailTestResources';
type Registry = Map<string, Stoppable>;

function registry(): Registry {
  const g = globalThis as unknown as Record<string, Registry | undefined>;
  return (g[KEY] ??= new Map());
}

export function setGlobalResource(name: string, resource: Stoppable): void {
  registry().set(name, resource);
}

export async function stopGlobalResources(): Promise<void> {
  const all = [...registry().values()].reverse();
  registry().clear();
  for (const resource of all) await resource.stop();
}
