import { AppShell, Badge, Button, Group, NavLink, Text, Title } from '@mantine/core';
import { Link, Navigate, Route, Routes, useLocation } from 'react-router';
import { useSession } from './auth';
import { Findings } from './views/findings';
import { Integrations } from './views/integrations';
import { RunTimelineView } from './views/run-timeline';
import { Runs } from './views/runs';
import { SignIn } from './views/sign-in';
import { WhoChanged } from './views/who-changed';

const NAV = [
  { to: '/runs', label: 'Runs' },
  { to: '/changes', label: 'Who changed…' },
  { to: '/findings', label: 'Findings' },
  { to: '/integrations', label: 'Integrations' },
];

function Shell({ children }: { children: React.ReactNode }) {
  const { account, signOut } = useSession();
  const { pathname } = useLocation();
  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 200, breakpoint: 0 }} padding="md">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between">
          <Title order={1} size="h3">
            runtrail
          </Title>
          <Group gap="sm">
            <Text size="sm">
              account <strong>{account?.account}</strong>
            </Text>
            <Badge variant="outline" color="dark">
              {account?.role}
              {account?.spaceSubtree ? ` · space ${account.spaceSubtree}` : ''}
            </Badge>
            <Button size="xs" variant="default" onClick={signOut}>
              Sign out
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" component="nav" aria-label="views">
        {NAV.map((item) => (
          <NavLink key={item.to} component={Link} to={item.to} label={item.label} variant="filled" active={pathname.startsWith(item.to)} aria-current={pathname.startsWith(item.to) ? 'page' : undefined} />
        ))}
      </AppShell.Navbar>
      <AppShell.Main>
        {children}
      </AppShell.Main>
    </AppShell>
  );
}

function RequireSession({ children }: { children: React.ReactNode }) {
  const { account } = useSession();
  const location = useLocation();
  if (!account) return <Navigate to="/signin" replace state={{ from: `${location.pathname}${location.search}` }} />;
  return <Shell>{children}</Shell>;
}

export function App() {
  const { account } = useSession();
  return (
    <Routes>
      <Route path="/signin" element={account ? <Navigate to="/runs" replace /> : <SignIn />} />
      <Route path="/runs" element={<RequireSession><Runs /></RequireSession>} />
      <Route path="/runs/:runId" element={<RequireSession><RunTimelineView /></RequireSession>} />
      <Route path="/changes" element={<RequireSession><WhoChanged /></RequireSession>} />
      <Route path="/findings" element={<RequireSession><Findings /></RequireSession>} />
      <Route path="/integrations" element={<RequireSession><Integrations /></RequireSession>} />
      <Route path="*" element={<Navigate to="/runs" replace />} />
    </Routes>
  );
}
