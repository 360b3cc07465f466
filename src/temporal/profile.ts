/**
 * Temporal's environment-configuration profile (the TOML file the `temporal` CLI and every SDK
 * read): one file can then point the CLI, the worker and the decision service at the same
 * cluster or Cloud namespace. The profile only supplies defaults; an explicit TEMPORAL_* variable
 * always wins, as it does for the CLI.
 */
import { readFileSync } from 'node:fs';
import { platform } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { loadClientConfigFromToml } from '@temporalio/envconfig';
import { z } from 'zod';

/** Thrown when the profile file cannot be read or parsed, or the profile is missing or malformed. */
export class TemporalProfileError extends Error {
  override readonly name = 'TemporalProfileError';
  constructor(readonly problems: string[]) {
    super(`invalid Temporal profile:\n  ${problems.join('\n  ')}`);
  }
}

const Text = z.string().min(1, 'must not be empty');
/** Inline PEM (`*_data`) is refused so that every secret Gatehouse reads is a file an operator can rotate. */
const FileOnly = z
  .object({ path: Text.optional(), data: z.unknown().optional() })
  .refine((source) => source.data === undefined, { message: 'inline data is not supported: use the _path form', path: ['data'] });

/** The profile as @temporalio/envconfig returns it; the loader checks key names, not value types. */
const ProfileSchema = z
  .object({
    address: Text.optional(),
    namespace: Text.optional(),
    apiKey: Text.optional(),
    tls: z
      .object({
        disabled: z.boolean().optional(),
        serverName: Text.optional(),
        clientCert: FileOnly.optional(),
        clientKey: FileOnly.optional(),
        serverCACert: FileOnly.optional(),
      })
      .strict()
      .optional(),
    grpcMeta: z
      .unknown()
      .optional()
      .refine((v) => v === undefined, 'is not supported by Gatehouse: use api_key or mTLS'),
  })
  .strict();
type Profile = z.infer<typeof ProfileSchema>;

/** The variables a profile can set, as strings in the environment's own syntax. */
export type TemporalProfileVariable =
  | 'TEMPORAL_ADDRESS'
  | 'TEMPORAL_NAMESPACE'
  | 'TEMPORAL_API_KEY'
  | 'TEMPORAL_TLS'
  | 'TEMPORAL_TLS_CLIENT_CERT_PATH'
  | 'TEMPORAL_TLS_CLIENT_KEY_PATH'
  | 'TEMPORAL_TLS_SERVER_CA_CERT_PATH'
  | 'TEMPORAL_TLS_SERVER_NAME';

export interface TemporalProfileSettings {
  /** What the profile sets, before explicit variables override it. */
  values: Partial<Record<TemporalProfileVariable, string>>;
  /** Where each value came from (`<file> [profile.<name>] <field>`), for error messages. */
  sources: Partial<Record<TemporalProfileVariable, string>>;
}

const NONE: TemporalProfileSettings = { values: {}, sources: {} };

/** Where the SDKs and the CLI look when TEMPORAL_CONFIG_FILE is unset. */
export function defaultConfigFile(env: Record<string, string | undefined>): string | undefined {
  const os = platform();
  if (os === 'win32') return env['APPDATA'] ? join(env['APPDATA'], 'temporalio', 'temporal.toml') : undefined;
  const home = env['HOME'];
  if (os === 'darwin') return home ? join(home, 'Library', 'Application Support', 'temporalio', 'temporal.toml') : undefined;
  const xdg = env['XDG_CONFIG_HOME'];
  if (xdg) return isAbsolute(xdg) ? join(xdg, 'temporalio', 'temporal.toml') : undefined;
  return home ? join(home, '.config', 'temporalio', 'temporal.toml') : undefined;
}

/** `clientCert.path` → `client_cert_path`: the field as the operator wrote it in the TOML file. */
function tomlField(path: readonly PropertyKey[]): string {
  const snake = path.map((p) => String(p).replace(/[A-Z]+/g, (m) => `_${m.toLowerCase()}`));
  return snake.join('.').replace(/\.(path|data)$/, '_$1');
}

function readProfileFile(file: string, explicit: boolean, readFile: (path: string) => Buffer): Buffer | undefined {
  try {
    return readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // The default location is optional; a file the operator named is not.
    if (code === 'ENOENT' && !explicit) return undefined;
    throw new TemporalProfileError([
      `TEMPORAL_CONFIG_FILE: cannot read ${file} (${code === 'ENOENT' ? 'no such file' : (code ?? String(err))})`,
    ]);
  }
}

/**
 * Reads the profile TEMPORAL_PROFILE names (or `default`) from TEMPORAL_CONFIG_FILE (or the
 * default location). No file at the default location and no TEMPORAL_PROFILE: no settings.
 */
export function loadTemporalProfile(
  env: Record<string, string | undefined>,
  readFile: (path: string) => Buffer = readFileSync,
): TemporalProfileSettings {
  const explicit = env['TEMPORAL_CONFIG_FILE'];
  const file = explicit || defaultConfigFile(env);
  const requested = env['TEMPORAL_PROFILE'];
  const bytes = file ? readProfileFile(file, Boolean(explicit), readFile) : undefined;
  if (!bytes) {
    if (requested)
      throw new TemporalProfileError([
        `TEMPORAL_PROFILE: "${requested}" needs a config file, and there is none at ${file ?? 'the default location'}`,
      ]);
    return NONE;
  }
  let profiles: Record<string, unknown>;
  try {
    // Strict: a misspelt key (`adress`) is an error, not a silently ignored setting.
    profiles = loadClientConfigFromToml(bytes, { strict: true }).profiles;
  } catch (err) {
    throw new TemporalProfileError([`TEMPORAL_CONFIG_FILE: ${file}: ${err instanceof Error ? err.message : String(err)}`]);
  }
  const name = requested || 'default';
  const raw = profiles[name];
  if (raw === undefined) {
    if (!requested) return NONE;
    const known = Object.keys(profiles);
    throw new TemporalProfileError([
      `TEMPORAL_PROFILE: no profile "${name}" in ${file} (${known.length > 0 ? `it has ${known.join(', ')}` : 'it has none'})`,
    ]);
  }
  const where = `${file} [profile.${name}]`;
  const parsed = ProfileSchema.safeParse(raw);
  if (!parsed.success) {
    throw new TemporalProfileError(parsed.error.issues.map((i) => `${where} ${tomlField(i.path)}: ${i.message}`));
  }
  return settingsOf(parsed.data, where);
}

function settingsOf(profile: Profile, where: string): TemporalProfileSettings {
  const settings: TemporalProfileSettings = { values: {}, sources: {} };
  const set = (variable: TemporalProfileVariable, value: string | undefined, field: string): void => {
    if (value === undefined) return;
    settings.values[variable] = value;
    settings.sources[variable] = `${where} ${field}`;
  };
  set('TEMPORAL_ADDRESS', profile.address, 'address');
  set('TEMPORAL_NAMESPACE', profile.namespace, 'namespace');
  set('TEMPORAL_API_KEY', profile.apiKey, 'api_key');
  const tls = profile.tls;
  if (tls) {
    // A [tls] table turns TLS on, as it does for the SDKs; `disabled = true` turns it off.
    set('TEMPORAL_TLS', tls.disabled === true ? 'false' : 'true', tls.disabled === undefined ? 'tls' : 'tls.disabled');
    set('TEMPORAL_TLS_CLIENT_CERT_PATH', tls.clientCert?.path, 'tls.client_cert_path');
    set('TEMPORAL_TLS_CLIENT_KEY_PATH', tls.clientKey?.path, 'tls.client_key_path');
    set('TEMPORAL_TLS_SERVER_CA_CERT_PATH', tls.serverCACert?.path, 'tls.server_ca_cert_path');
    set('TEMPORAL_TLS_SERVER_NAME', tls.serverName, 'tls.server_name');
  }
  return settings;
}
