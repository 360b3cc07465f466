/** The agent registry file: validated at worker start, every problem listed. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { builtInActionTypes } from '../../../src/actions/registry';
import { generateDecisionKeyPair } from '../../../src/links/decision-signer';
import { loadAgentRegistry } from '../../../src/policy/agents';
import { loadPolicyBook, PolicyLoadError } from '../../../src/policy/load';

const known = builtInActionTypes().names();
const pub = () => generateDecisionKeyPair().publicKeyHex;

function fileWith(text: string, name = 'agents.yaml'): string {
  const file = join(mkdtempSync(join(tmpdir(), 'gatehouse-agents-')), name);
  writeFileSync(file, text);
  return file;
}

function problemsOf(file: string): string[] {
  try {
    loadAgentRegistry(file, known);
  } catch (err) {
    expect(err).toBeInstanceOf(PolicyLoadError);
    return (err as PolicyLoadError).problems;
  }
  throw new Error('the registry loaded');
}

describe('loadAgentRegistry', () => {
  it('loads agents with several keys (a rotation) and their scope', () => {
    const [a, b] = [pub(), pub()];
    const registry = loadAgentRegistry(
      fileWith(
        `agents:\n  - id: refund-agent\n    name: Refunds\n    keys: ["k1:${a}", "k2:${b.toUpperCase()}"]\n    scope: [payment.refund]\n`,
      ),
      known,
    );
    expect(registry.get('refund-agent')).toEqual({
      id: 'refund-agent',
      name: 'Refunds',
      keys: { k1: a, k2: b },
      scope: ['payment.refund'],
    });
  });

  it('lists every problem of every agent at once', () => {
    const problems = problemsOf(
      fileWith(
        [
          'agents:',
          `  - { id: a1, name: A, keys: ["k1:${pub()}", "k1:${pub()}"], scope: [payment.refund, no.such_type] }`,
          `  - { id: a1, name: Again, keys: ["k1:${'0'.repeat(63)}1"], scope: [email.send] }`,
          '  - { id: "bad id", name: B, keys: [], scope: [] }',
          '',
        ].join('\n'),
      ),
    );
    const text = problems.join('\n');
    expect(text).toContain('agents.2.id');
    expect(text).toContain('agents.2.keys');
    expect(text).toContain('agents.2.scope');
    expect(text).toContain('key id "k1" appears more than once');
    expect(text).toContain('"no.such_type" is not a registered action type');
    expect(text).toContain('agent "a1": is listed twice');
    expect(text).toMatch(/agent "a1" keys: entry 1: key "k1" is (not a valid|a weak)/);
  });

  it('names the file when it is missing or not YAML', () => {
    expect(() => loadAgentRegistry(join(tmpdir(), 'no-such-agents.yaml'), known)).toThrow(/no-such-agents\.yaml/);
    expect(problemsOf(fileWith('agents: [\n'))[0]).toMatch(/cannot be read as YAML/);
  });

  it('is not read as a policy when it lives beside the policies', () => {
    const policies = resolve(__dirname, '../../../policies');
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-policies-'));
    for (const f of ['reviewers.yaml', 'payment.refund.yaml']) writeFileSync(join(dir, f), readFileSync(join(policies, f)));
    writeFileSync(join(dir, 'agents.yaml'), `agents:\n  - { id: a, name: A, keys: ["k1:${pub()}"], scope: [payment.refund] }\n`);
    expect(() => loadPolicyBook(dir, join(dir, 'reviewers.yaml'), known)).toThrow(PolicyLoadError);
    expect([...loadPolicyBook(dir, join(dir, 'reviewers.yaml'), known, [join(dir, 'agents.yaml')]).policies.keys()]).toEqual([
      'payment.refund',
    ]);
  });
});
