/**
 * The layer fences are lint rules (eslint.config.mjs); these cases prove they bite: each forbidden
 * import is reported where it is written, and each allowed one passes, so the rules are neither off
 * nor so wide that the real tree only passes by accident.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');

interface LintCase {
  filePath: string;
  code: string;
}
interface LintMessage {
  ruleId: string | null;
  message: string;
  line: number;
}

/** ESLint runs in a child process: Jest's module sandbox cannot load the flat config (an ES module). */
function lint(cases: LintCase[]): LintMessage[][] {
  const out = execFileSync(process.execPath, [join(__dirname, 'eslint-runner.mjs')], {
    cwd: ROOT,
    input: JSON.stringify(cases),
    encoding: 'utf8',
  });
  return (JSON.parse(out) as { messages: LintMessage[] }[]).map((r) => r.messages);
}

const RESTRICTED = '@typescript-eslint/no-restricted-imports';

/** Each case imports one thing, so its messages belong to that import alone. */
const imports = (filePath: string, ...statements: string[]): LintCase[] =>
  statements.map((s) => ({ filePath, code: `${s}\nexport const used = [typeof imported];\n` }));

const CYCLE_FILE = 'test/lint/fixtures/cycle/a.ts';

const FIXTURES = {
  workflowForbidden: imports(
    'workflows/fixture.ts',
    "import * as imported from 'node:fs';",
    "import * as imported from 'fs';",
    "import * as imported from 'node:crypto';",
    "import * as imported from 'pg';",
    "import * as imported from '@temporalio/activity';",
    "import * as imported from '../src/http/app';",
    "import * as imported from '../src/mail/mailer';",
    "import * as imported from '../activities';",
  ),
  workflowAllowed: imports(
    'workflows/fixture.ts',
    "import * as imported from '@temporalio/workflow';",
    "import * as imported from '@temporalio/common';",
    "import * as imported from 'zod';",
    "import * as imported from '@noble/hashes/sha256';",
    "import * as imported from '@noble/curves/ed25519';",
    "import * as imported from './messages';",
    "import * as imported from '../src/domain/ids';",
    "import type * as imported from 'node:fs';",
    "import type * as imported from '../activities';",
  ),
  domainForbidden: imports(
    'src/domain/fixture.ts',
    "import * as imported from 'node:crypto';",
    "import * as imported from 'crypto';",
    "import * as imported from '../links/token';",
    "import * as imported from '../../workflows/messages';",
  ),
  domainAllowed: imports(
    'src/domain/fixture.ts',
    "import * as imported from 'zod';",
    "import * as imported from '@noble/hashes/utils';",
    "import * as imported from './ids';",
  ),
  httpToMail: [
    ...imports('src/http/fixture.ts', "import * as imported from '../mail/escape';", "import type * as imported from '../mail/mailer';"),
    ...imports('src/http/views/fixture.ts', "import * as imported from '../../mail/escape';"),
  ],
  workflowRuntimeForbidden: [
    ...imports('src/cli/fixture.ts', "import * as imported from '../../workflows/approval-state';"),
    ...imports('activities/fixture.ts', "import * as imported from '../workflows/notices';", "import * as imported from '../workflows';"),
  ],
  workflowRuntimeAllowed: imports(
    'src/client/fixture.ts',
    "import * as imported from '../../workflows/messages';",
    "import type * as imported from '../../workflows/approval';",
  ),
  console: [{ filePath: 'src/http/fixture.ts', code: "console.log('hello');\n" }],
  cycle: [{ filePath: CYCLE_FILE, code: readFileSync(join(ROOT, CYCLE_FILE), 'utf8') }],
} satisfies Record<string, LintCase[]>;

/** The rules reported for each case of a fixture group, linted once for the whole file (ESLint takes seconds to load). */
let reported: Record<keyof typeof FIXTURES, (string | null)[][]>;

beforeAll(() => {
  const groups = Object.entries(FIXTURES);
  const results = lint(groups.flatMap(([, cases]) => cases));
  let next = 0;
  reported = Object.fromEntries(
    groups.map(([name, cases]) => [name, results.slice(next, (next += cases.length)).map((messages) => messages.map((m) => m.ruleId))]),
  ) as typeof reported;
}, 60_000);

const each = (rules: string[], group: keyof typeof FIXTURES) => FIXTURES[group].map(() => rules);

describe('lint fences', () => {
  it('reports Node built-ins, I/O modules and Node-only src/ in workflow code', () => {
    expect(reported.workflowForbidden).toEqual(each([RESTRICTED], 'workflowForbidden'));
  });

  it('lets workflow code import the sandbox-safe packages, workflows/, src/domain/ and any type', () => {
    expect(reported.workflowAllowed).toEqual(each([], 'workflowAllowed'));
  });

  it('keeps src/domain/ pure: no Node built-ins, no other part of src/', () => {
    expect(reported.domainForbidden).toEqual(each([RESTRICTED], 'domainForbidden'));
    expect(reported.domainAllowed).toEqual(each([], 'domainAllowed'));
  });

  it('keeps src/http/ out of src/mail/, types included', () => {
    expect(reported.httpToMail).toEqual(each([RESTRICTED], 'httpToMail'));
  });

  it('lets src/ and activities/ take only workflows/messages at run time, and any workflow type', () => {
    expect(reported.workflowRuntimeForbidden).toEqual(each([RESTRICTED], 'workflowRuntimeForbidden'));
    expect(reported.workflowRuntimeAllowed).toEqual(each([], 'workflowRuntimeAllowed'));
  });

  it('reports console output in src/', () => {
    expect(reported.console).toEqual([['no-console']]);
  });

  it('reports an import circle', () => {
    expect(reported.cycle).toEqual([['import-x/no-cycle']]);
  });
});
