import { Anchor, Badge, Group, NativeSelect, SimpleGrid, Stack, Title } from '@mantine/core';
import { Link } from 'react-router';
import { getAll, getJson } from '../api/client';
import type { CallerView, RunSummary, SpaceView } from '../api/views';
import { columnHelper, DataTable, type Columns } from '../components/data-table';
import { ExportButtons } from '../components/export-buttons';
import { Pager, usePagedList } from '../components/pager';
import { TimeRangeInputs } from '../components/time-range';
import { Empty, ErrorAlert, Loading } from '../components/states';
import { useApi } from '../components/use-api';
import { useUrlFilters } from '../components/use-url-filters';
import { isoFromInput, time } from '../format';

const RUN_TYPES = ['PROPOSED', 'TRACKED', 'TASK', 'TESTING', 'DESTROY'];
const PHASES = ['QUEUED', 'INITIALIZING', 'PLANNING', 'APPLYING', 'PERFORMING', 'FINISHED', 'FAILED', 'STOPPED'];
const FILTERS = ['callerId', 'spaceId', 'runType', 'phase', 'from', 'to'] as const;

const col = columnHelper<RunSummary>();
const columns: Columns<RunSummary> = [
  col.accessor('runId', {
    header: 'Run',
    cell: (c) => (
      <Anchor component={Link} to={`/runs/${c.getValue()}`} ff="monospace" size="sm">
        {c.getValue()}
      </Anchor>
    ),
  }),
  col.accessor('startedAt', { header: 'Started', cell: (c) => time(c.getValue()) }),
  col.accessor('callerSlug', { header: 'Stack / module', cell: (c) => `${c.row.original.callerType} ${c.getValue()}` }),
  col.accessor('spaceId', { header: 'Space' }),
  col.accessor('runType', { header: 'Type' }),
  col.accessor('phase', {
    header: 'Phase',
    cell: (c) => <Badge color={c.getValue() === 'FAILED' || c.getValue() === 'STOPPED' ? 'red' : c.getValue() === 'FINISHED' ? 'green' : 'blue'} variant="light">{c.getValue() ?? '—'}</Badge>,
  }),
  col.accessor('issuances', { header: 'Issuances' }),
  col.accessor('awsCalls', { header: 'AWS calls', cell: (c) => `${c.getValue()}${c.row.original.deniedCalls ? ` (${c.row.original.deniedCalls} refused)` : ''}` }),
  col.accessor('findings', { header: 'Findings', cell: (c) => (c.getValue() ? <Badge color="red">{c.getValue()}</Badge> : '0') }),
];

/** Runs with filters kept in the URL (shareable, back button works), paged by the API's cursor. */
export function Runs() {
  const [filter, set] = useUrlFilters(FILTERS);
  const query = { ...filter, from: isoFromInput(filter.from), to: isoFromInput(filter.to) };
  const callers = useApi(() => getAll<CallerView>('/v1/callers'), 'callers');
  const spaces = useApi(() => getJson<{ items: SpaceView[] }>('/v1/spaces'), 'spaces');
  const { pages, list: runs } = usePagedList<RunSummary>('/v1/audit/runs', query, 50);
  const options = (values: Array<{ value: string; label: string }>) => [{ value: '', label: 'any' }, ...values];
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Runs</Title>
        <ExportButtons path="/v1/audit/runs" query={query} name="runs" />
      </Group>
      <SimpleGrid cols={6} spacing="xs" role="search" aria-label="filter runs">
        <NativeSelect
          label="Stack / module"
          value={filter.callerId}
          onChange={(e) => set('callerId', e.currentTarget.value)}
          data={options((callers.data ?? []).map((c) => ({ value: c.id, label: `${c.type} ${c.slug}` })))}
        />
        <NativeSelect
          label="Space"
          value={filter.spaceId}
          onChange={(e) => set('spaceId', e.currentTarget.value)}
          data={options((spaces.data?.items ?? []).map((s) => ({ value: s.id, label: s.name || s.id })))}
        />
        <NativeSelect label="Run type" value={filter.runType} onChange={(e) => set('runType', e.currentTarget.value)} data={options(RUN_TYPES.map((t) => ({ value: t, label: t })))} />
        <NativeSelect label="Phase" value={filter.phase} onChange={(e) => set('phase', e.currentTarget.value)} data={options(PHASES.map((p) => ({ value: p, label: p })))} />
        <TimeRangeInputs from={filter.from} to={filter.to} set={set} />
      </SimpleGrid>
      {callers.error ? <ErrorAlert error={callers.error} /> : null}
      {spaces.error ? <ErrorAlert error={spaces.error} /> : null}
      {runs.error ? <ErrorAlert error={runs.error} /> : null}
      {runs.loading ? <Loading what="runs" /> : null}
      {runs.data && !runs.data.items.length ? <Empty>No runs match these filters.</Empty> : null}
      {runs.data?.items.length ? <DataTable caption="Runs, newest first" columns={columns} data={runs.data.items} rowId={(r) => r.runId} /> : null}
      <Pager pages={pages} nextCursor={runs.data?.nextCursor} />
    </Stack>
  );
}
