import { useSearchParams } from 'react-router';

/**
 * A view's filters kept in the URL's query (shareable links, the back button works): their values
 * ('' when unset) and a setter that replaces the history entry.
 */
export function useUrlFilters<N extends string>(names: readonly N[]): [Record<N, string>, (name: N, value: string) => void] {
  const [params, setParams] = useSearchParams();
  const values = Object.fromEntries(names.map((n) => [n, params.get(n) ?? ''])) as Record<N, string>;
  const set = (name: N, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    setParams(next, { replace: true });
  };
  return [values, set];
}
