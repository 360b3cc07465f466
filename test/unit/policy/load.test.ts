import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { builtInActionTypes } from '../../../src/actions/registry';
import { loadPolicyBook, PolicyLoadError } from '../../../src/policy/load';

const POLICIES = resolve(__dirname, '../../../policies');
const known = builtInActionTypes().names();

function dirWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-policies-'));
  writeFileSync(join(dir, 'reviewers.yaml'), readFileSync(join(POLICIES, 'reviewers.yaml')));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

describe('loadPolicyBook', () => {
  it('loads the shipped policy pack with a versioned policy per built-in action type', () => {
    const book = loadPolicyBook(POLICIES, join(POLICIES, 'reviewers.yaml'), known);
    expect([...book.policies.keys()].sort()).toEqual([...known].sort());
    expect(book.policies.get('payment.refund')?.version).toMatch(/^payment\.refund\.yaml@[0-9a-f]{12}$/);
  });

  it('names the file and the field of a broken policy', () => {
    const dir = dirWith({
      'payment.refund.yaml': 'actionType: payment.refund\nrisk: high\nmode: supervised\nsla: { expireAfter: soon }\n',
    });
    const error = (() => {
      try {
        loadPolicyBook(dir, join(dir, 'reviewers.yaml'), known);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(PolicyLoadError);
    expect((error as Error).message).toContain('payment.refund.yaml');
    expect((error as Error).message).toContain('sla.expireAfter');
  });

  it('refuses a policy for an action type nobody registered', () => {
    const dir = dirWith({ 'x.yaml': 'actionType: unknown.thing\nrisk: low\nmode: autonomous\nsla: { expireAfter: 1h }\n' });
    expect(() => loadPolicyBook(dir, join(dir, 'reviewers.yaml'), known)).toThrow(/x\.yaml.*unknown\.thing/);
  });

  it('refuses YAML that does not parse, and unknown keys', () => {
    const dir = dirWith({
      'a.yaml': 'actionType: [unclosed',
      'b.yaml': 'actionType: email.send\nrisk: low\nmode: supervised\nsla: { expireAfter: 1h }\napprovers: [x]\n',
    });
    expect(() => loadPolicyBook(dir, join(dir, 'reviewers.yaml'), known)).toThrow(/a\.yaml[\s\S]*b\.yaml/);
  });
});
