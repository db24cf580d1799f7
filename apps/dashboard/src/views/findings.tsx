import { Anchor, Group, NativeSelect, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { Link } from 'react-router';
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { FindingRaised } from '../api/views';
import { columnHelper, DataTable, type Columns } from '../components/data-table';
import { ExportButtons } from '../components/export-buttons';
import { Pager, usePagedList } from '../components/pager';
import { Empty, ErrorAlert, Loading } from '../components/states';
import { TimeRangeInputs } from '../components/time-range';
import { useUrlFilters } from '../components/use-url-filters';
import { isoFromInput, shortArn, time } from '../format';

const KINDS = ['unissued_assume_role', 'used_after_run_ended', 'unknown_source_ip', 'issuance_not_in_trail', 'denied_assume_role'];
const COLORS = ['#c92a2a', '#e8590c', '#5f3dc4', '#1971c2', '#2b8a3e'];
// Text colors with at least 4.5:1 on white.
const SEVERITY: Record<string, string> = { high: 'red.9', medium: 'grape.9', low: 'gray.9' };

const col = columnHelper<FindingRaised>();
const columns: Columns<FindingRaised> = [
  col.accessor('detectedAt', { header: 'Detected', cell: (c) => time(c.getValue()) }),
  col.accessor('kind', { header: 'Kind', cell: (c) => <Text size="sm" fw={600}>{c.getValue()}</Text> }),
  col.accessor('severity', {
    header: 'Severity',
    cell: (c) => (
      <Text size="sm" fw={700} c={SEVERITY[c.getValue()] ?? 'gray.9'}>
        {c.getValue()}
      </Text>
    ),
  }),
  col.accessor('message', { header: 'What', cell: (c) => <Text size="sm" maw={340} style={{ overflowWrap: 'anywhere' }}>{c.getValue()}</Text> }),
  col.accessor('roleArn', { header: 'Role', cell: (c) => <span title={c.getValue() ?? ''}>{shortArn(c.getValue())}</span> }),
  col.accessor('runId', {
    header: 'Run and call',
    cell: (c) => {
      const { runId, eventId } = c.row.original;
      if (!runId) return eventId ? <Text size="sm" ff="monospace">event {eventId}</Text> : '—';
      return (
        <Anchor component={Link} to={`/runs/${runId}${eventId ? `?event=${encodeURIComponent(eventId)}` : ''}`} size="sm">
          run {runId}
          {eventId ? ' → the call' : ''}
        </Anchor>
      );
    },
  }),
];

/** Findings per day and kind, from the findings on screen. */
function Trend({ findings }: { findings: FindingRaised[] }) {
  const days = new Map<string, Record<string, number>>();
  for (const f of findings) {
    const day = f.detectedAt.slice(0, 10);
    const row = days.get(day) ?? {};
    row[f.kind] = (row[f.kind] ?? 0) + 1;
    days.set(day, row);
  }
  const data = [...days.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([day, counts]) => ({ day, ...counts }));
  const kinds = KINDS.filter((k) => findings.some((f) => f.kind === k));
  return (
    <figure style={{ margin: 0 }} aria-label="Findings per day and kind">
      <ResponsiveContainer width="100%" height={200}>
        <BarChart data={data} margin={{ top: 8, right: 16, bottom: 0, left: 0 }} accessibilityLayer={false}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="day" tick={{ fontSize: 11, fill: '#343a40' }} />
          <YAxis allowDecimals={false} tick={{ fontSize: 11, fill: '#343a40' }} width={32} />
          <Tooltip />
          <Legend />
          {kinds.map((k) => (
            <Bar key={k} dataKey={k} stackId="kinds" fill={COLORS[KINDS.indexOf(k)]} maxBarSize={56} isAnimationActive={false} />
          ))}
        </BarChart>
      </ResponsiveContainer>
      <figcaption style={{ fontSize: 13 }}>Trend: findings of this page per day (UTC), stacked by kind.</figcaption>
    </figure>
  );
}

/** Findings by kind and time, each linked to its run and the call that raised it. */
export function Findings() {
  const [filter, set] = useUrlFilters(['kind', 'from', 'to'] as const);
  const query = { kind: filter.kind, from: isoFromInput(filter.from), to: isoFromInput(filter.to) };
  const { pages, list: findings } = usePagedList<FindingRaised>('/v1/audit/findings', query, 200);
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Findings</Title>
        <ExportButtons path="/v1/audit/findings" query={query} name="findings" />
      </Group>
      <SimpleGrid cols={3} spacing="xs" role="search" aria-label="filter findings">
        <NativeSelect label="Kind" value={filter.kind} onChange={(e) => set('kind', e.currentTarget.value)} data={[{ value: '', label: 'any' }, ...KINDS.map((k) => ({ value: k, label: k }))]} />
        <TimeRangeInputs from={filter.from} to={filter.to} set={set} />
      </SimpleGrid>
      {findings.error ? <ErrorAlert error={findings.error} /> : null}
      {findings.loading ? <Loading what="findings" /> : null}
      {findings.data && !findings.data.items.length ? <Empty>No findings match these filters.</Empty> : null}
      {findings.data?.items.length ? (
        <>
          <Trend findings={findings.data.items} />
          <DataTable caption="Findings, newest first" columns={columns} data={findings.data.items} rowId={(f) => f.id} />
        </>
      ) : null}
      <Pager pages={pages} nextCursor={findings.data?.nextCursor} />
    </Stack>
  );
}
