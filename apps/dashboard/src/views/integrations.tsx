import { Badge, Button, Code, Group, Paper, Stack, Table, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { ApiProblem, getAll, getJson, postJson } from '../api/client';
import type { AttachmentView, ExternalIdsView, IntegrationView, TrailSourceView, VerdictCheck, VerifyResult } from '../api/views';
import { useSession } from '../auth';
import { Empty, ErrorAlert, Loading } from '../components/states';
import { useApi } from '../components/use-api';
import { time } from '../format';

function Checks({ checks, caption }: { checks: VerdictCheck[]; caption: string }) {
  return (
    <Table captionSide="top" withTableBorder fz="sm">
      <caption style={{ textAlign: 'left' }}>{caption}</caption>
      <Table.Thead>
        <Table.Tr>
          <Table.Th scope="col">Check</Table.Th>
          <Table.Th scope="col">Status</Table.Th>
          <Table.Th scope="col">Reason</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {checks.map((c) => (
          <Table.Tr key={c.check}>
            <Table.Td ff="monospace">{c.check}</Table.Td>
            <Table.Td>
              <Badge color={c.status === 'pass' ? 'green' : c.status === 'warn' ? 'yellow' : 'red'} variant="light">{c.status}</Badge>
            </Table.Td>
            <Table.Td>{c.message}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

/** The statement a caller's attachment needs in the role's trust policy, to paste as is. */
function Statement({ integration, attachment }: { integration: IntegrationView; attachment: AttachmentView }) {
  const ids = useApi(
    () => getJson<ExternalIdsView>(`/v1/integrations/${integration.id}/external-ids`, { callerId: attachment.caller.id, read: String(attachment.read), write: String(attachment.write) }),
    `${integration.id}|${attachment.id}`,
  );
  if (ids.error) return <ErrorAlert error={ids.error} />;
  if (!ids.data) return <Loading what="the statement" />;
  return (
    <Code block aria-label={`trust statement for ${attachment.caller.slug}`}>
      {JSON.stringify(ids.data.statement, null, 2)}
    </Code>
  );
}

function IntegrationCard({ integration, canVerify }: { integration: IntegrationView; canVerify: boolean }) {
  const attachments = useApi(() => getAll<AttachmentView>('/v1/attachments', { integrationId: integration.id }), integration.id);
  const [verify, setVerify] = useState<{ busy: boolean; result: VerifyResult | null; error: unknown }>({ busy: false, result: null, error: null });
  const runVerify = () => {
    setVerify({ busy: true, result: null, error: null });
    postJson<VerifyResult>(`/v1/integrations/${integration.id}/verify`).then(
      (result) => setVerify({ busy: false, result, error: null }),
      (error: unknown) => setVerify({ busy: false, result: null, error }),
    );
  };
  return (
    <Paper withBorder p="md" component="section" aria-label={`integration ${integration.name}`}>
      <Group justify="space-between">
        <Title order={3} size="h4">
          {integration.name}{' '}
          <Badge color={integration.healthy ? 'green' : 'red'}>
            {integration.healthy ? 'healthy' : 'unhealthy'}
          </Badge>
        </Title>
        {canVerify ? (
          <Button size="xs" variant="default" loading={verify.busy} onClick={runVerify}>
            Verify now
          </Button>
        ) : null}
      </Group>
      <Text size="sm">
        role <Code>{integration.roleArn}</Code> · mode {integration.mode} · space {integration.spaceId} · last verified {time(integration.lastVerifiedAt)}
      </Text>
      {integration.healthReasons.length ? (
        <Stack gap={2} mt="xs">
          <Text size="sm" fw={600}>Reasons</Text>
          {integration.healthReasons.map((r) => (
            <Text size="sm" key={r}>• {r}</Text>
          ))}
        </Stack>
      ) : null}
      {verify.error ? <ErrorAlert error={verify.error} /> : null}
      {verify.result ? (
        <Stack gap="xs" mt="xs">
          <Checks checks={verify.result.verdict.checks} caption={`Verification now: ${verify.result.verdict.safe ? 'safe' : 'unsafe'}`} />
          {verify.result.verdict.explanation ? <Text size="sm">{verify.result.verdict.explanation}</Text> : null}
          {verify.result.verdict.suggestedStatement ? (
            <Code block aria-label="suggested statement">{JSON.stringify(verify.result.verdict.suggestedStatement, null, 2)}</Code>
          ) : null}
        </Stack>
      ) : null}
      <Title order={4} size="h5" mt="sm">Attachments</Title>
      {attachments.error ? <ErrorAlert error={attachments.error} /> : null}
      {attachments.loading ? <Loading what="attachments" /> : null}
      {attachments.data && !attachments.data.length ? <Empty>Not attached to any stack or module.</Empty> : null}
      {attachments.data?.map((a) => (
        <Stack key={a.id} gap={4} mt="xs">
          <Text size="sm">
            {a.caller.type} <strong>{a.caller.slug}</strong> · {[a.read ? 'read (plan)' : null, a.write ? 'write (apply)' : null].filter(Boolean).join(', ')}
            {a.autoattachLabel ? ` · autoattach:${a.autoattachLabel}` : ''} — statement to paste into the role&apos;s trust policy:
          </Text>
          <Statement integration={integration} attachment={a} />
        </Stack>
      ))}
    </Paper>
  );
}

function TrailSources() {
  const sources = useApi(() => getJson<{ items: TrailSourceView[] }>('/v1/audit/trail-sources'), 'trail-sources');
  if (sources.error instanceof ApiProblem && sources.error.status === 403)
    return <Empty>Trail sources are shown to account-wide admin keys only ({sources.error.detail}).</Empty>;
  if (sources.error) return <ErrorAlert error={sources.error} />;
  if (!sources.data) return <Loading what="trail sources" />;
  if (!sources.data.items.length) return <Empty>No trail sources: audit reads no CloudTrail yet (runtrail trail-sources add).</Empty>;
  return (
    <Table captionSide="top" withTableBorder fz="sm">
      <caption style={{ textAlign: 'left' }}>Trail sources and their health per region</caption>
      <Table.Thead>
        <Table.Tr>
          {['AWS account', 'Region', 'Reader role', 'Last poll', 'Lag', 'Events', 'Last error'].map((h) => (
            <Table.Th key={h} scope="col">{h}</Table.Th>
          ))}
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {sources.data.items.flatMap((s) =>
          s.health.map((h) => (
            <Table.Tr key={`${s.id}-${h.region}`}>
              <Table.Td>{s.awsAccountId}</Table.Td>
              <Table.Td>{h.region}</Table.Td>
              <Table.Td ff="monospace">{s.roleArn}</Table.Td>
              <Table.Td>{time(h.lastSuccessfulPollAt)}</Table.Td>
              <Table.Td>{h.lagSeconds === null ? '—' : `${h.lagSeconds} s`}</Table.Td>
              <Table.Td>{h.eventsIngested}</Table.Td>
              <Table.Td>{h.lastError ? <Text c="red.9" size="sm">{h.lastError} ({time(h.lastErrorAt)})</Text> : 'none'}</Table.Td>
            </Table.Tr>
          )),
        )}
      </Table.Tbody>
    </Table>
  );
}

/** Integrations' health from verification, their attachments with the statements to paste, and trail sources. */
export function Integrations() {
  const { account } = useSession();
  const integrations = useApi(() => getAll<IntegrationView>('/v1/integrations'), 'integrations');
  return (
    <Stack>
      <Title order={2}>Integrations</Title>
      {integrations.error ? <ErrorAlert error={integrations.error} /> : null}
      {integrations.loading ? <Loading what="integrations" /> : null}
      {integrations.data && !integrations.data.length ? <Empty>No integrations in the spaces this key sees.</Empty> : null}
      {integrations.data?.map((i) => <IntegrationCard key={i.id} integration={i} canVerify={account?.role === 'admin'} />)}
      <Title order={2} size="h3">Trail sources</Title>
      <TrailSources />
    </Stack>
  );
}
