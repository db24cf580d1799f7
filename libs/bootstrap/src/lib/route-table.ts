/** The part of Express's router a 405 needs: each layer, its path matcher and its route's methods. */
export interface RouteTable {
  stack: ReadonlyArray<{
    match(path: string): unknown;
    route?: { _methods(): string[] };
  }>;
}

/**
 * The methods routes answer on `path` (`GET`, `HEAD`, `PATCH`, ...), empty when no route matches it.
 * Lets an unknown method on a known path be a 405 with `Allow` instead of a 404.
 */
export function allowedMethods(routes: RouteTable, path: string): string[] {
  const methods = new Set<string>();
  for (const layer of routes.stack) {
    if (!layer.route) continue;
    let matched: unknown;
    try {
      matched = layer.match(path);
    } catch {
      // An undecodable path matches nothing; it is answered as a 404.
      matched = false;
    }
    if (matched) for (const method of layer.route._methods()) if (method !== '*') methods.add(method);
  }
  return [...methods].sort();
}

/** Express's router from its application, when the HTTP adapter is Express (else no 405s). */
export function routeTableOf(instance: unknown): RouteTable | undefined {
  const router = (instance as { router?: Partial<RouteTable> } | undefined)?.router;
  return Array.isArray(router?.stack) ? (router as RouteTable) : undefined;
}
