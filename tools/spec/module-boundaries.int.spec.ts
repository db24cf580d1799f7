import { createProjectGraphAsync } from '@nx/devkit';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

// Lints code as if it were a file of a lib, through the ESLint CLI (its flat config is ESM, which
// Jest's VM cannot load) with the real project graph, so the Nx boundary rule runs.
const root = join(__dirname, '../..');

interface LintResult {
  messages: Array<{ ruleId: string | null; message: string }>;
}

async function boundaryErrors(filePath: string, code: string): Promise<string[]> {
  const eslint = join(root, 'node_modules/.bin/eslint');
  const run = spawnSync(eslint, ['--stdin', '--stdin-filename', filePath, '--format', 'json'], {
    cwd: root,
    input: code,
    encoding: 'utf8',
  });
  const [result] = JSON.parse(run.stdout) as LintResult[];
  return (result?.messages ?? []).filter((m) => m.ruleId === '@nx/enforce-module-boundaries').map((m) => m.message);
}

describe('module boundaries', () => {
  beforeAll(async () => {
    process.env['NX_DAEMON'] = 'false';
    await createProjectGraphAsync({ exitOnError: false });
  }, 120_000);

  it("refuses a service's feature lib importing another service's feature lib", async () => {
    const errors = await boundaryErrors(
      'libs/verifier/src/lib/boundary-probe.ts',
      "import { IntegrationsModule } from '@runtrail/integrations';\nexport const probe = IntegrationsModule;\n",
    );
    expect(errors.join('\n')).toMatch(/scope:verifier.*can only depend on libs tagged with.*scope:verifier.*scope:shared/);
  });

  it('refuses production code importing the test harness', async () => {
    const errors = await boundaryErrors(
      'libs/messaging/src/lib/boundary-probe.ts',
      "import { testNatsUrl } from '@runtrail/testing';\nexport const probe = testNatsUrl;\n",
    );
    expect(errors).not.toHaveLength(0);
  });

  it('lets a spec file use the test harness and a service use shared libs', async () => {
    expect(
      await boundaryErrors(
        'libs/messaging/src/lib/boundary-probe.spec.ts',
        "import { testNatsUrl } from '@runtrail/testing';\nexport const probe = testNatsUrl;\n",
      ),
    ).toEqual([]);
    expect(
      await boundaryErrors(
        'libs/verifier/src/lib/boundary-probe.ts',
        "import { RuntrailError } from '@runtrail/contracts';\nexport const probe = RuntrailError;\n",
      ),
    ).toEqual([]);
  });

  it('lets the standalone app compose every service', async () => {
    expect(
      await boundaryErrors(
        'apps/standalone/src/boundary-probe.ts',
        "import { IntegrationsModule } from '@runtrail/integrations';\nexport const probe = IntegrationsModule;\n",
      ),
    ).toEqual([]);
  });
});
