// What the dashboard reads. Audit's shapes come from @runtrail/contracts (the definitions audit
// answers with); integrations' are the parts of its REST views the dashboard shows.
export type { EventView, FindingRaised, Page, RunSummary, RunTimeline, TrailSourceView } from '@runtrail/contracts';

export interface AccountView {
  account: string;
  keyId: string;
  role: 'admin' | 'reader' | 'scheduler';
  spaceSubtree: string | null;
  visibleSpaces: string[] | null;
}

export interface SpaceView {
  id: string;
  name: string;
  parent: string | null;
}

export interface CallerView {
  id: string;
  type: 'stack' | 'module';
  slug: string;
  spaceId: string;
}

export interface IntegrationView {
  id: string;
  name: string;
  roleArn: string;
  mode: string;
  spaceId: string;
  durationSeconds: number;
  healthy: boolean;
  healthReasons: string[];
  lastVerifiedAt: string | null;
  sourceIdentity: boolean;
  sessionTagging: boolean;
}

export interface AttachmentView {
  id: string;
  integrationId: string;
  caller: { type: string; id: string; slug: string };
  read: boolean;
  write: boolean;
  autoattachLabel: string | null;
}

export interface ExternalIdsView {
  read?: string;
  write?: string;
  statement: unknown;
}

export interface VerdictCheck {
  check: string;
  status: string;
  message: string;
}

export interface VerifyResult {
  verdict: { safe: boolean; checks: VerdictCheck[]; explanation?: string; suggestedStatement?: unknown };
  attachments: Array<{ caller: { slug: string }; verdict: { safe: boolean; checks: VerdictCheck[]; suggestedStatement?: unknown } }>;
}
