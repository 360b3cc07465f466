/**
 * Loads `policies/*.yaml` and the reviewer directory, validating each file. A broken file is a
 * start-up error that names the file and the field, because a worker running on a half-read
 * policy would approve or deny the wrong things.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z, type ZodType } from 'zod';
import { sha256Hex } from '../domain/canonical-hash';
import { PolicySchema, ReviewerDirectorySchema, type Policy, type ReviewerDirectory } from '../domain/policy';
import { EgressAllowListError, parseEgressAllowList, type EgressAllowList } from '../egress/allow-list';

/** Thrown when a policy or reviewer file cannot be read, parsed or validated. */
export class PolicyLoadError extends Error {
  override readonly name = 'PolicyLoadError';
  constructor(
    readonly file: string,
    readonly problems: string[],
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${problems.join('; ')}`, options);
  }
}

export interface LoadedPolicy {
  policy: Policy;
  /** Content hash of the file: the version recorded with every decision it made. */
  version: string;
  file: string;
  /** The policy's `egress` entries, parsed; added to the configuration's allow-list for its executor. */
  egress?: EgressAllowList;
}

export interface PolicyBook {
  policies: ReadonlyMap<string, LoadedPolicy>;
  directory: ReviewerDirectory;
}

export function parseFile<T>(file: string, schema: ZodType<T>): { value: T; version: string } {
  let text: string;
  let raw: unknown;
  try {
    text = readFileSync(file, 'utf8');
    raw = parseYaml(text);
  } catch (cause) {
    throw new PolicyLoadError(file, [`cannot be read as YAML: ${(cause as Error).message}`], { cause });
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new PolicyLoadError(
      file,
      parsed.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(file)'}: ${i.message}`),
    );
  }
  return { value: parsed.data, version: `${basename(file)}@${sha256Hex(text).slice(0, 12)}` };
}

export function loadReviewerDirectory(file: string): ReviewerDirectory {
  return parseFile(file, ReviewerDirectorySchema).value;
}

/**
 * Reads every `*.yaml` in `dir` except the reviewer file and `otherFiles` (the agent registry,
 * when it lives beside the policies). Problems in several files are collected so one start-up
 * shows them all.
 */
export function loadPolicyBook(
  dir: string,
  reviewersFile: string,
  knownActionTypes: ReadonlySet<string>,
  otherFiles: readonly string[] = [],
): PolicyBook {
  const errors: PolicyLoadError[] = [];
  const policies = new Map<string, LoadedPolicy>();
  const skipped = new Set(otherFiles.map((f) => resolve(f)));
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
    .map((f) => join(dir, f))
    .filter((f) => basename(f) !== basename(reviewersFile) && !skipped.has(resolve(f)))
    .sort();
  for (const file of files) {
    try {
      const { value: policy, version } = parseFile(file, PolicySchema);
      if (!knownActionTypes.has(policy.actionType)) {
        throw new PolicyLoadError(file, [`actionType: "${policy.actionType}" is not a registered action type`]);
      }
      const twin = policies.get(policy.actionType);
      if (twin) throw new PolicyLoadError(file, [`actionType: "${policy.actionType}" is already defined in ${twin.file}`]);
      let egress: EgressAllowList | undefined;
      try {
        egress = policy.egress ? parseEgressAllowList(policy.egress) : undefined;
      } catch (err) {
        if (err instanceof EgressAllowListError)
          throw new PolicyLoadError(
            file,
            err.problems.map((p) => `egress: ${p}`),
          );
        throw err;
      }
      policies.set(policy.actionType, { policy, version, file, ...(egress ? { egress } : {}) });
    } catch (err) {
      errors.push(err instanceof PolicyLoadError ? err : new PolicyLoadError(file, [String(err)]));
    }
  }
  let directory: ReviewerDirectory | undefined;
  try {
    directory = loadReviewerDirectory(reviewersFile);
  } catch (err) {
    errors.push(err instanceof PolicyLoadError ? err : new PolicyLoadError(reviewersFile, [String(err)]));
  }
  if (errors.length === 1) throw errors[0]!;
  if (errors.length > 1)
    throw new PolicyLoadError(
      dir,
      errors.map((e) => e.message),
    );
  return { policies, directory: directory! };
}

const RedactionOnlySchema = z.object({ actionType: z.string().min(1), redact: z.array(z.string()).default([]) });

/**
 * The redacted fields of every policy in `dir`, by action type, for services that show runs but do
 * not evaluate them (the codec endpoint). The worker validates the policies in full at its start.
 */
export function loadRedactions(dir: string): Map<string, string[]> {
  const redactions = new Map<string, string[]>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))) {
    let raw: unknown;
    try {
      raw = parseYaml(readFileSync(join(dir, file), 'utf8'));
    } catch {
      continue;
    }
    const parsed = RedactionOnlySchema.safeParse(raw);
    if (parsed.success) redactions.set(parsed.data.actionType, parsed.data.redact);
  }
  return redactions;
}
