import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError, parseConfig } from '../../../src/config/env';
import { connectionOptions } from '../../../src/temporal/connection';

const TLS = resolve(__dirname, '../../fixtures/tls');
const pem = (name: string): string => join(TLS, name);

function tomlFile(content: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'gatehouse-profile-')), 'temporal.toml');
  writeFileSync(file, content);
  return file;
}

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

const CLOUD = `
[profile.default]
address = "eu-west-1.aws.api.temporal.io:7233"
namespace = "gatehouse.a2b3c"
api_key = "key-from-profile"

[profile.staging]
address = "temporal.internal:7233"
namespace = "gatehouse-staging"
[profile.staging.tls]
client_cert_path = "${pem('client.pem')}"
client_key_path = "${pem('client.key')}"
server_ca_cert_path = "${pem('ca.pem')}"
server_name = "temporal.test"
`;

describe('Temporal environment-configuration profile', () => {
  it('takes address, namespace and API key from the default profile of TEMPORAL_CONFIG_FILE', () => {
    const config = parseConfig({ TEMPORAL_CONFIG_FILE: tomlFile(CLOUD) });
    expect(config.TEMPORAL_NAMESPACE).toBe('gatehouse.a2b3c');
    expect(connectionOptions(config)).toEqual({ address: 'eu-west-1.aws.api.temporal.io:7233', tls: true, apiKey: 'key-from-profile' });
  });

  it('takes mTLS files and the server name from the profile TEMPORAL_PROFILE names', () => {
    const config = parseConfig({ TEMPORAL_CONFIG_FILE: tomlFile(CLOUD), TEMPORAL_PROFILE: 'staging' });
    expect(config.TEMPORAL_NAMESPACE).toBe('gatehouse-staging');
    expect(connectionOptions(config)).toEqual({
      address: 'temporal.internal:7233',
      tls: {
        clientCertPair: { crt: readFileSync(pem('client.pem')), key: readFileSync(pem('client.key')) },
        serverRootCACertificate: readFileSync(pem('ca.pem')),
        serverNameOverride: 'temporal.test',
      },
    });
  });

  it('lets explicit variables override the profile', () => {
    const config = parseConfig({
      TEMPORAL_CONFIG_FILE: tomlFile(CLOUD),
      TEMPORAL_ADDRESS: 'gatehouse.a2b3c.tmprl.cloud:7233',
      TEMPORAL_NAMESPACE: 'other.a2b3c',
      TEMPORAL_API_KEY: 'key-from-env',
    });
    expect(config.TEMPORAL_NAMESPACE).toBe('other.a2b3c');
    expect(connectionOptions(config)).toEqual({ address: 'gatehouse.a2b3c.tmprl.cloud:7233', tls: true, apiKey: 'key-from-env' });
  });

  it('reads ~/.config/temporalio/temporal.toml when TEMPORAL_CONFIG_FILE is unset', () => {
    const home = mkdtempSync(join(tmpdir(), 'gatehouse-home-'));
    mkdirSync(join(home, '.config', 'temporalio'), { recursive: true });
    writeFileSync(join(home, '.config', 'temporalio', 'temporal.toml'), '[profile.default]\naddress = "10.0.0.5:7233"\n');
    expect(parseConfig({ HOME: home }).TEMPORAL_ADDRESS).toBe('10.0.0.5:7233');
  });

  it('uses the built-in defaults when there is no file at the default location', () => {
    const home = mkdtempSync(join(tmpdir(), 'gatehouse-home-'));
    const config = parseConfig({ HOME: home });
    expect(config.TEMPORAL_ADDRESS).toBe('127.0.0.1:7233');
    expect(config.TEMPORAL_NAMESPACE).toBe('default');
  });

  it('turns TLS off with tls.disabled, and then refuses an API key, blaming the file and field', () => {
    const file = tomlFile('[profile.default]\naddress = "h:7233"\napi_key = "k"\n[profile.default.tls]\ndisabled = true\n');
    expect(problemsOf(() => parseConfig({ TEMPORAL_CONFIG_FILE: file }))).toEqual([
      `${file} [profile.default] tls.disabled (TEMPORAL_TLS): is false, but TEMPORAL_API_KEY needs TLS`,
    ]);
  });

  it('refuses a TEMPORAL_CONFIG_FILE that does not exist', () => {
    const file = join(tmpdir(), 'no-such-dir-gatehouse', 'temporal.toml');
    expect(problemsOf(() => parseConfig({ TEMPORAL_CONFIG_FILE: file }))).toEqual([
      `TEMPORAL_CONFIG_FILE: cannot read ${file} (no such file)`,
    ]);
  });

  it('refuses a TEMPORAL_PROFILE when there is no file to read it from', () => {
    const home = mkdtempSync(join(tmpdir(), 'gatehouse-home-'));
    const problems = problemsOf(() => parseConfig({ HOME: home, TEMPORAL_PROFILE: 'prod' }));
    expect(problems).toEqual([
      `TEMPORAL_PROFILE: "prod" needs a config file, and there is none at ${join(home, '.config/temporalio/temporal.toml')}`,
    ]);
  });

  it('names the file of a TOML syntax error', () => {
    const file = tomlFile('[profile.default\naddress = "h:7233"\n');
    const [problem] = problemsOf(() => parseConfig({ TEMPORAL_CONFIG_FILE: file }));
    expect(problem).toContain(`TEMPORAL_CONFIG_FILE: ${file}: `);
  });

  it('names a misspelt key instead of ignoring it', () => {
    const file = tomlFile('[profile.default]\nadress = "h:7233"\n');
    const [problem] = problemsOf(() => parseConfig({ TEMPORAL_CONFIG_FILE: file }));
    expect(problem).toContain(file);
    expect(problem).toContain('adress');
  });

  it('names a missing profile and the profiles the file has', () => {
    const file = tomlFile(CLOUD);
    expect(problemsOf(() => parseConfig({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'prod' }))).toEqual([
      `TEMPORAL_PROFILE: no profile "prod" in ${file} (it has default, staging)`,
    ]);
  });

  it('names the file and field of every bad value, beside the environment’s own problems', () => {
    const file = tomlFile(
      '[profile.default]\naddress = "https://temporal.internal"\nnamespace = 7\n[profile.default.tls]\nclient_cert_data = "-----BEGIN CERTIFICATE-----"\n',
    );
    expect(problemsOf(() => parseConfig({ TEMPORAL_CONFIG_FILE: file, GATEHOUSE_HTTP_PORT: 'eighty' }))).toEqual([
      `${file} [profile.default] namespace: Invalid input: expected string, received number`,
      `${file} [profile.default] tls.client_cert_data: inline data is not supported: use the _path form`,
      expect.stringMatching(/^GATEHOUSE_HTTP_PORT: /),
    ]);
    const bad = tomlFile('[profile.default]\naddress = "https://temporal.internal"\n');
    expect(problemsOf(() => parseConfig({ TEMPORAL_CONFIG_FILE: bad }))).toEqual([
      `${bad} [profile.default] address (TEMPORAL_ADDRESS): must be host:port`,
    ]);
  });

  it('does not blame the profile for a bad value the environment set', () => {
    const file = tomlFile('[profile.default]\naddress = "h:7233"\n');
    expect(problemsOf(() => parseConfig({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_ADDRESS: 'nope' }))).toEqual([
      'TEMPORAL_ADDRESS: must be host:port',
    ]);
  });
});
