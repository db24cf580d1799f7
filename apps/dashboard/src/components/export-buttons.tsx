import { Button, Group } from '@mantine/core';
import { useState } from 'react';
import type { Query } from '../api/client';
import { exportList } from '../api/export';
import { ErrorAlert } from './states';

/** "Export CSV" and "Export JSON" of a whole list (every page), through the API's `format=`. */
export function ExportButtons({ path, query, name }: { path: string; query: Query; name: string }) {
  const [busy, setBusy] = useState<'csv' | 'json' | null>(null);
  const [error, setError] = useState<unknown>(null);
  const run = (format: 'csv' | 'json') => {
    setBusy(format);
    setError(null);
    exportList(path, query, format, name).then(
      () => setBusy(null),
      (e: unknown) => {
        setBusy(null);
        setError(e);
      },
    );
  };
  return (
    <>
      <Group gap="xs">
        <Button size="xs" variant="default" loading={busy === 'csv'} onClick={() => run('csv')}>
          Export CSV
        </Button>
        <Button size="xs" variant="default" loading={busy === 'json'} onClick={() => run('json')}>
          Export JSON
        </Button>
      </Group>
      {error ? <ErrorAlert error={error} /> : null}
    </>
  );
}
