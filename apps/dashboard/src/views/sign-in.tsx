import { Button, Paper, PasswordInput, Stack, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { useLocation, useNavigate } from 'react-router';
import { useSession } from '../auth';
import { ErrorAlert } from '../components/states';

/** The API key, entered once per browser tab; the form never echoes it and nothing logs it. */
export function SignIn() {
  const session = useSession();
  const navigate = useNavigate();
  const location = useLocation();
  const [key, setKey] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const back = (location.state as { from?: string } | null)?.from ?? '/runs';
  const submit = (event: React.FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    session.signIn(key).then(
      () => navigate(back, { replace: true }),
      (e: unknown) => {
        setBusy(false);
        setError(e);
      },
    );
  };
  return (
    <main>
      <Paper maw={520} mx="auto" mt={80} p="xl" withBorder>
        <form onSubmit={submit} autoComplete="off">
          <Stack>
            <Title order={1} size="h2">
              runtrail dashboard
            </Title>
            <Text size="sm">
              Sign in with an API key of your account (<code>rtk.…</code>, made with <code>POST /v1/api-keys</code>). A reader key is
              enough; a key limited to spaces shows only their runs. The key is kept in this tab only and cleared on sign out.
            </Text>
            <PasswordInput label="API key" required value={key} onChange={(e) => setKey(e.currentTarget.value)} autoFocus />
            {error ? <ErrorAlert error={error} /> : null}
            <Button type="submit" loading={busy} disabled={!key.trim()}>
              Sign in
            </Button>
          </Stack>
        </form>
      </Paper>
    </main>
  );
}
