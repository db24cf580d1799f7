import { Anchor, Badge, Box, Button, Code, Group, Paper, Stack, Table, Text, Title } from '@mantine/core';
import { useEffect, useState } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { getJson } from '../api/client';
import type { EventView, RunTimeline } from '../api/views';
import { columnHelper, DataTable, type Columns } from '../components/data-table';
import { ScrollRegion } from '../components/scroll-region';
import { Empty, ErrorAlert, Loading } from '../components/states';
import { shortArn, time } from '../format';
import { flatten, sessionTree, type SessionNode } from './session-tree';
import { TimelineChart } from './timeline-chart';

const col = columnHelper<EventView>();
const callColumns: Columns<EventView> = [
  col.accessor('eventTime', { header: 'Time', cell: (c) => time(c.getValue()) }),
  col.accessor('eventName', {
    header: 'Call',
    cell: (c) => (
      <Text size="sm" fw={600}>
        {c.row.original.eventSource.replace('.amazonaws.com', '')}:{c.getValue()}
      </Text>
    ),
  }),
  col.accessor('resources', {
    header: 'Resources',
    cell: (c) => {
      const names = [...c.getValue(), ...(c.row.original.roleArn && !c.getValue().includes(c.row.original.roleArn) ? [c.row.original.roleArn] : [])];
      return names.length ? names.map((r) => <div key={r}>{shortArn(r)}</div>) : '—';
    },
  }),
  col.accessor('errorCode', { header: 'Error', cell: (c) => (c.getValue() ? <Badge color="red" variant="light">{c.getValue()}</Badge> : '—') }),
  col.accessor('awsRegion', { header: 'Region', cell: (c) => c.getValue() ?? '—' }),
  col.accessor('link', { header: 'Linked by', cell: (c) => c.getValue() ?? '—' }),
];

const ASSUMED = ':assumed-role/';

/** runtrail's own identity (which issued the run's credentials), the run's session, or a chained one. */
function sessionKind(node: SessionNode): string {
  if (!node.principal.includes(ASSUMED)) return 'Identity';
  return node.assumedBy?.principalArn?.includes(ASSUMED) ? 'chained session' : 'run session';
}

function Session({ node, depth, highlight }: { node: SessionNode; depth: number; highlight: string | null }) {
  return (
    <Paper withBorder p="sm" ml={depth * 32} aria-label={`session ${node.principal}`} component="section">
      <Title order={4} size="h5">
        {depth ? '↳ ' : ''}
        {sessionKind(node)}{' '}
        <Code>{node.principal}</Code>
      </Title>
      {node.assumedBy ? (
        <Text size="sm">
          assumed by {node.assumedBy.eventName} at {time(node.assumedBy.eventTime)} (role {node.assumedBy.roleArn})
        </Text>
      ) : null}
      <DataTable caption={`${node.calls.length} call(s) of this session, in time order`} columns={callColumns} data={node.calls} rowId={(e) => e.eventId} highlightId={highlight} />
    </Paper>
  );
}

/** One run: phases, issuances, the calls as sessions (chained ones nested) and a chart over the phases. */
export function RunTimelineView() {
  const { runId = '' } = useParams();
  const [search] = useSearchParams();
  const highlight = search.get('event');
  const [state, setState] = useState<{ timeline: RunTimeline | null; events: EventView[]; next: string | null; error: unknown; loading: boolean }>({
    timeline: null, events: [], next: null, error: null, loading: true,
  });
  const load = (cursor: string | null) => {
    setState((s) => ({ ...s, loading: true, error: null }));
    getJson<RunTimeline>(`/v1/audit/runs/${encodeURIComponent(runId)}/timeline`, { limit: 1000, cursor }).then(
      (t) => setState((s) => ({ timeline: t, events: cursor ? [...s.events, ...t.events.items] : t.events.items, next: t.events.nextCursor, error: null, loading: false })),
      (error: unknown) => setState((s) => ({ ...s, error, loading: false })),
    );
  };
  useEffect(() => load(null), [runId]);
  useEffect(() => {
    if (highlight && state.events.length) document.getElementById(`row-${highlight}`)?.scrollIntoView({ block: 'center' });
  }, [highlight, state.events.length]);
  const { timeline, events } = state;
  const sessions = flatten(sessionTree(events));
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>
          Run <Code fz="lg">{runId}</Code>
        </Title>
        <Anchor component={Link} to="/runs">
          ← all runs
        </Anchor>
      </Group>
      {state.error ? <ErrorAlert error={state.error} /> : null}
      {!timeline && state.loading ? <Loading what="the run's timeline" /> : null}
      {timeline ? (
        <>
          <Group gap="lg">
            <Text size="sm">{timeline.run.callerType} <strong>{timeline.run.callerSlug}</strong></Text>
            <Text size="sm">space <strong>{timeline.run.spaceId}</strong></Text>
            <Text size="sm">type <strong>{timeline.run.runType}</strong></Text>
            <Text size="sm">ended {time(timeline.run.endedAt)} {timeline.run.endPhase ? `(${timeline.run.endPhase})` : ''}</Text>
          </Group>
          <Box component="section" aria-labelledby="phases">
            <Title order={3} id="phases" size="h4">Phases</Title>
            <Group gap="xs" component="ol" style={{ listStyle: 'none', padding: 0 }}>
              {timeline.phases.map((p) => (
                <li key={`${p.phase}-${p.at}`}>
                  <Badge variant="light" size="lg" color={p.phase === 'FAILED' || p.phase === 'STOPPED' ? 'red' : 'blue'}>
                    {p.phase} {time(p.at).slice(11)}
                  </Badge>
                </li>
              ))}
            </Group>
          </Box>
          <Box component="section" aria-labelledby="issuances">
            <Title order={3} id="issuances" size="h4">Issuances</Title>
            {timeline.issuances.length ? (
              <ScrollRegion label="issuances table">
                <Table captionSide="top" withTableBorder fz="sm">
                  <caption style={{ textAlign: 'left' }}>Credentials runtrail issued to this run</caption>
                  <Table.Thead>
                    <Table.Tr>
                      {['Issued', 'Integration', 'Role', 'Phase', 'Scope', 'Mode', 'Access key id', 'Session name', 'Expires', 'In the trail'].map((h) => (
                        <Table.Th key={h} scope="col">{h}</Table.Th>
                      ))}
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {timeline.issuances.map((i) => (
                      <Table.Tr key={`${i.sessionName}-${i.issuedAt}-${i.scope}`}>
                        <Table.Td>{time(i.issuedAt)}</Table.Td>
                        <Table.Td ff="monospace">{i.integrationId}</Table.Td>
                        <Table.Td>{shortArn(i.roleArn)}</Table.Td>
                        <Table.Td>{i.phase}</Table.Td>
                        <Table.Td>{i.scope}</Table.Td>
                        <Table.Td>{i.mode}</Table.Td>
                        <Table.Td ff="monospace">{i.accessKeyId ?? '—'}</Table.Td>
                        <Table.Td ff="monospace">{i.sessionName}</Table.Td>
                        <Table.Td>{time(i.expiresAt)}</Table.Td>
                        <Table.Td>{i.seenInTrail ? <Badge color="green" variant="light">seen</Badge> : <Badge color="orange" variant="light">not yet</Badge>}</Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </ScrollRegion>
            ) : (
              <Empty>No credentials were issued to this run.</Empty>
            )}
          </Box>
          <Box component="section" aria-labelledby="calls">
            <Title order={3} id="calls" size="h4">AWS calls ({events.length}{state.next ? '+' : ''})</Title>
            {events.length ? (
              <Stack gap="sm">
                <TimelineChart timeline={timeline} sessions={sessions} />
                {sessions.map(({ node, depth }) => (
                  <Session key={node.principal} node={node} depth={depth} highlight={highlight} />
                ))}
                {state.next ? (
                  <Button variant="default" loading={state.loading} onClick={() => load(state.next)}>
                    Load more calls
                  </Button>
                ) : null}
              </Stack>
            ) : (
              <Empty>No AWS calls of this run in the trail yet (the trail reaches audit minutes after the calls).</Empty>
            )}
          </Box>
        </>
      ) : null}
    </Stack>
  );
}
