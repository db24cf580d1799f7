import { Anchor, Badge, Button, Group, Stack, Text, TextInput, Title } from '@mantine/core';
import { useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { getJson } from '../api/client';
import type { EventView, Page } from '../api/views';
import { columnHelper, DataTable, type Columns } from '../components/data-table';
import { ExportButtons } from '../components/export-buttons';
import { Pager, useCursorPages } from '../components/pager';
import { Empty, ErrorAlert, Loading } from '../components/states';
import { useApi } from '../components/use-api';
import { shortArn, time } from '../format';

const col = columnHelper<EventView>();
const columns: Columns<EventView> = [
  col.accessor('eventTime', { header: 'Time', cell: (c) => time(c.getValue()) }),
  col.accessor('eventName', { header: 'Change', cell: (c) => <Text size="sm" fw={600}>{c.getValue()}</Text> }),
  col.accessor('resources', { header: 'Resources', cell: (c) => c.getValue().map((r: string) => <div key={r}>{shortArn(r)}</div>) }),
  col.accessor('runId', {
    header: 'Run',
    cell: (c) =>
      c.getValue() ? (
        <Anchor component={Link} to={`/runs/${c.getValue()}?event=${encodeURIComponent(c.row.original.eventId)}`} ff="monospace" size="sm">
          {c.getValue()}
        </Anchor>
      ) : '—',
  }),
  col.accessor('principalArn', { header: 'Caller', cell: (c) => <span title={c.getValue() ?? ''}>{shortArn(c.getValue())}</span> }),
  col.accessor('errorCode', { header: 'Outcome', cell: (c) => (c.getValue() ? <Badge color="red" variant="light">{c.getValue()}</Badge> : 'done') }),
];

/** Who changed X: mutating calls naming an ARN or a name, newest first, each with its run. */
export function WhoChanged() {
  const [params, setParams] = useSearchParams();
  const resource = params.get('resource') ?? '';
  const [text, setText] = useState(resource);
  const pages = useCursorPages(resource);
  const changes = useApi(
    () => (resource ? getJson<Page<EventView>>('/v1/audit/changes', { resource, cursor: pages.cursor, limit: 50 }) : Promise.resolve(null)),
    `${resource}|${pages.cursor ?? ''}`,
  );
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Who changed…</Title>
        {resource ? <ExportButtons path="/v1/audit/changes" query={{ resource }} name="changes" /> : null}
      </Group>
      <form
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          setParams(text.trim() ? { resource: text.trim() } : {});
        }}
      >
        <Group align="flex-end">
          <TextInput
            label="Resource ARN or name"
            placeholder="arn:aws:iam::123456789012:role/deployer or deployer"
            value={text}
            onChange={(e) => setText(e.currentTarget.value)}
            w={520}
          />
          <Button type="submit">Search</Button>
        </Group>
      </form>
      {changes.error ? <ErrorAlert error={changes.error} /> : null}
      {resource && changes.loading ? <Loading what="changes" /> : null}
      {!resource ? <Empty>Enter an ARN or a name to see which runs changed it, when, and as whom.</Empty> : null}
      {changes.data && !changes.data.items.length ? <Empty>No run of this account changed {resource}.</Empty> : null}
      {changes.data?.items.length ? <DataTable caption={`Changes to ${resource}, newest first`} columns={columns} data={changes.data.items} rowId={(e) => e.eventId} /> : null}
      {resource ? <Pager pages={pages} nextCursor={changes.data?.nextCursor} /> : null}
    </Stack>
  );
}
