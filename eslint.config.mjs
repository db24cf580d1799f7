import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

/**
 * Module boundaries. Every project carries one `scope:*` and one `type:*` tag.
 * - `scope:testing` (the test harness) is for spec files only, and may start the emulator.
 * - A service's code may use its own scope and `scope:shared`, never another service's feature lib:
 *   services talk only through `@runtrail/contracts` subjects.
 * - `scope:standalone` composes every service.
 */
const services = ['integrations', 'verifier', 'credential-broker', 'oidc-issuer', 'audit', 'emulator', 'cli', 'dashboard'];

/**
 * @param {boolean} inTests spec files may also use the test harness (`scope:testing`/`type:testing`).
 */
function depConstraints(inTests) {
  const testing = inTests ? ['scope:testing'] : [];
  const testingType = inTests ? ['type:testing'] : [];
  return [
    ...services.map((s) => ({
      sourceTag: `scope:${s}`,
      onlyDependOnLibsWithTags: [`scope:${s}`, 'scope:shared', ...testing],
    })),
    { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared', ...testing] },
    { sourceTag: 'scope:testing', onlyDependOnLibsWithTags: ['scope:testing', 'scope:shared', 'scope:emulator'] },
    {
      sourceTag: 'scope:standalone',
      onlyDependOnLibsWithTags: ['scope:shared', ...services.map((s) => `scope:${s}`), ...testing],
    },
    {
      sourceTag: 'type:app',
      onlyDependOnLibsWithTags: ['type:feature', 'type:data-access', 'type:contracts', 'type:util', ...testingType],
    },
    {
      sourceTag: 'type:feature',
      onlyDependOnLibsWithTags: ['type:data-access', 'type:contracts', 'type:util', ...testingType],
    },
    {
      sourceTag: 'type:data-access',
      onlyDependOnLibsWithTags: ['type:data-access', 'type:contracts', 'type:util', ...testingType],
    },
    { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: ['type:contracts', 'type:util', ...testingType] },
    { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util', 'type:contracts', ...testingType] },
    {
      sourceTag: 'type:testing',
      onlyDependOnLibsWithTags: ['type:feature', 'type:data-access', 'type:contracts', 'type:util', 'type:testing'],
    },
  ];
}

const boundaries = (inTests) => [
  'error',
  {
    enforceBuildableLibDependency: false,
    banTransitiveDependencies: false,
    allow: [],
    depConstraints: depConstraints(inTests),
  },
];

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  { ignores: ['**/dist', '**/node_modules', '**/.data', '**/tmp', '**/coverage', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  {
    files: ['**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': boundaries(false),
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    // Tests, benches and tools may print and use loose fixtures.
    files: ['**/*.spec.ts', '**/e2e/**/*.ts', 'bench/**/*.ts', 'tools/**/*.ts', 'apps/**/main.ts', 'apps/cli/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['**/*.spec.ts', '**/e2e/**/*.ts', 'bench/**/*.ts'],
    languageOptions: { parser: tseslint.parser },
    rules: { '@typescript-eslint/no-non-null-assertion': 'off', '@nx/enforce-module-boundaries': boundaries(true) },
  },
];
