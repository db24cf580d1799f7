import { Alert, Center, Loader, Text } from '@mantine/core';
import { ApiProblem } from '../api/client';

/** A problem+json answer shown with its detail (and its code and status for support). */
export function ErrorAlert({ error }: { error: unknown }) {
  const problem = error instanceof ApiProblem ? error : null;
  const title = problem ? `${problem.title} (${problem.status}${problem.code ? ` ${problem.code}` : ''})` : 'Something went wrong';
  const detail = problem ? problem.detail : error instanceof Error ? error.message : String(error);
  return (
    <Alert color="red" title={title} role="alert" variant="light">
      <Text c="red.9" size="sm">{detail || 'no detail given'}</Text>
    </Alert>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <Center py="lg" role="status" aria-live="polite">
      <Loader size="sm" aria-hidden />
      <Text ml="sm">Loading {what}…</Text>
    </Center>
  );
}

export function Empty({ children }: { children: React.ReactNode }) {
  return (
    <Text py="md" c="gray.8" role="status">
      {children}
    </Text>
  );
}
