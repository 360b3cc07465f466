// @ts-check
/**
 * Lint for Gatehouse. Besides the usual type-aware checks it fences the layers, because the folder
 * says where code may run: `workflows/` runs in Temporal's deterministic sandbox, `src/domain/` is
 * pure and shared by every layer, and the HTTP service must not reach into the mailer.
 */
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import { importX } from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

/**
 * The packages the sandbox may load at run time. Anything else (a Node built-in, an I/O client, a
 * logger) is either non-deterministic or refused by the workflow bundler.
 */
const SANDBOX_PACKAGES = String.raw`@temporalio/workflow|@temporalio/common(?:/.*)?|zod(?:/.*)?|@noble/(?:hashes|curves)(?:/.*)?`;
/**
 * Pure: no Node built-ins, no I/O. `@temporalio/common` is let in because it is sandbox-safe and the
 * search-attribute keys are defined with it.
 */
const DOMAIN_PACKAGES = String.raw`zod(?:/.*)?|@noble/(?:hashes|curves)(?:/.*)?|@temporalio/common(?:/.*)?`;

/**
 * Specifiers are matched as written: `workflows/` and `src/domain/` are flat folders, so `./x` stays
 * inside the folder and `../x` leaves it. Each pattern is an allow-list written as a negative
 * lookahead; type-only imports are erased at build time and may point anywhere.
 */
const fences = {
  workflows: {
    regex: String.raw`^(?!(?:${SANDBOX_PACKAGES})$|\./[^/]+$|\.\./src/domain/[^/]+$)`,
    caseSensitive: true,
    allowTypeImports: true,
    message:
      'workflows/ runs in the deterministic sandbox: at run time it may import only @temporalio/workflow, @temporalio/common, zod, @noble/*, workflows/ and src/domain/ (no Node built-ins).',
  },
  domain: {
    regex: String.raw`^(?!(?:${DOMAIN_PACKAGES})$|\./[^/]+$)`,
    caseSensitive: true,
    allowTypeImports: true,
    message: 'src/domain/ is pure: it may import only zod, @noble/* and other src/domain/ files (no Node built-ins, no I/O).',
  },
  workflowRuntime: {
    regex: String.raw`^\.{1,2}/(?:.*/)?workflows(?:/(?!messages$).*)?$`,
    caseSensitive: true,
    allowTypeImports: true,
    message:
      'Outside workflows/ only workflows/messages may be imported at run time (type imports are fine); shared rules live in src/domain/.',
  },
  mail: {
    regex: String.raw`^\.{1,2}/(?:.*/)?mail(?:/|$)`,
    caseSensitive: true,
    message: 'src/http/ must not import from src/mail/: share the code through a module outside src/mail/.',
  },
};

/** The rule takes one option object per file, so each folder lists every fence that applies to it. */
const restrictedImports = (...patterns) => ['error', { patterns }];

export default defineConfig(
  {
    ignores: ['dist/**', 'node_modules/**', '.tools/**', '.temporal/**', '.gatehouse/**', 'test-artifacts/**', 'test/lint/fixtures/**'],
  },
  js.configs.recommended,
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    settings: {
      // Without the TypeScript extensions and parser, import-x skips every .ts module and finds no cycle.
      'import-x/extensions': importX.flatConfigs.typescript.settings['import-x/extensions'],
      'import-x/parsers': importX.flatConfigs.typescript.settings['import-x/parsers'],
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: `${import.meta.dirname}/tsconfig.json` })],
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
      // `import x = require('x')` is TypeScript's typed form for CommonJS packages without ES exports.
      '@typescript-eslint/no-require-imports': ['error', { allowAsImport: true, allow: [String.raw`/package\.json$`] }],
      // An async function without await is how a method keeps a promise-returning interface
      // (activities, executors, codecs); a missing await is caught by no-floating-promises instead.
      '@typescript-eslint/require-await': 'off',
      // Control characters in patterns are the point where text is cleaned of them.
      'no-control-regex': 'off',
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: { 'no-console': 'error' },
  },
  {
    files: ['workflows/**/*.ts', 'examples/*/workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': restrictedImports(fences.workflows),
    },
  },
  {
    files: ['src/domain/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': restrictedImports(fences.domain),
    },
  },
  {
    files: ['src/**/*.ts', 'activities/**/*.ts'],
    ignores: ['src/domain/**'],
    rules: { '@typescript-eslint/no-restricted-imports': restrictedImports(fences.workflowRuntime) },
  },
  {
    files: ['src/http/**/*.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': restrictedImports(fences.workflowRuntime, fences.mail) },
  },
  {
    // Tests read untyped JSON from real responses and build hostile input on purpose.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: globals.node },
  },
);
