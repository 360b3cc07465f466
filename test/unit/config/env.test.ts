import { ConfigError, localCommitsFor, parseConfig } from '../../../src/config/env';
import { generateLinkSecret } from '../../../src/links/keyring';

describe('configuration from the environment', () => {
  it('bounds the worker by default: a cache of 500 runs, 40 workflow-task and 100 activity slots', () => {
    const config = parseConfig({});
    expect([
      config.GATEHOUSE_WORKER_CACHED_RUNS,
      config.GATEHOUSE_WORKER_WORKFLOW_TASK_SLOTS,
      config.GATEHOUSE_WORKER_ACTIVITY_SLOTS,
    ]).toEqual([500, 40, 100]);
  });

  it('takes worker tuning from the environment', () => {
    const config = parseConfig({
      GATEHOUSE_WORKER_CACHED_RUNS: '250',
      GATEHOUSE_WORKER_WORKFLOW_TASK_SLOTS: '8',
      GATEHOUSE_WORKER_ACTIVITY_SLOTS: '20',
    });
    expect([
      config.GATEHOUSE_WORKER_CACHED_RUNS,
      config.GATEHOUSE_WORKER_WORKFLOW_TASK_SLOTS,
      config.GATEHOUSE_WORKER_ACTIVITY_SLOTS,
    ]).toEqual([250, 8, 20]);
  });

  it('leaves workflow-task slots free of commits run inside tasks, and refuses a limit that would not', () => {
    expect(parseConfig({}).GATEHOUSE_WORKER_LOCAL_COMMITS).toBeUndefined();
    expect(localCommitsFor(40)).toBe(10);
    expect(localCommitsFor(2)).toBe(0);
    expect(parseConfig({ GATEHOUSE_WORKER_LOCAL_COMMITS: '0' }).GATEHOUSE_WORKER_LOCAL_COMMITS).toBe(0);
    expect(
      parseConfig({ GATEHOUSE_WORKER_LOCAL_COMMITS: '7', GATEHOUSE_WORKER_WORKFLOW_TASK_SLOTS: '8' }).GATEHOUSE_WORKER_LOCAL_COMMITS,
    ).toBe(7);
    for (const env of [
      { GATEHOUSE_WORKER_LOCAL_COMMITS: '8', GATEHOUSE_WORKER_WORKFLOW_TASK_SLOTS: '8' },
      { GATEHOUSE_WORKER_LOCAL_COMMITS: '40' },
    ]) {
      expect(() => parseConfig(env)).toThrow(/GATEHOUSE_WORKER_LOCAL_COMMITS: must be below GATEHOUSE_WORKER_WORKFLOW_TASK_SLOTS/);
    }
    expect(() => parseConfig({ GATEHOUSE_WORKER_LOCAL_COMMITS: '-1' })).toThrow(/GATEHOUSE_WORKER_LOCAL_COMMITS/);
  });

  it('parses the outcome webhook keys and allow-list, and names the problems of bad ones', () => {
    const secret = generateLinkSecret();
    const config = parseConfig({ GATEHOUSE_WEBHOOK_KEYS: `wh1:${secret}`, GATEHOUSE_WEBHOOK_ALLOW: 'hooks.example.com:443' });
    expect(config.GATEHOUSE_WEBHOOK_KEYS?.signingKeyId).toBe('wh1');
    expect(config.GATEHOUSE_WEBHOOK_ALLOW.entries.map((e) => e.text)).toEqual(['hooks.example.com:443']);
    expect(parseConfig({}).GATEHOUSE_WEBHOOK_KEYS).toBeUndefined();
    expect(() => parseConfig({ GATEHOUSE_WEBHOOK_KEYS: 'wh1:c2hvcnQ', GATEHOUSE_WEBHOOK_ALLOW: 'not a host' })).toThrow(
      /GATEHOUSE_WEBHOOK_KEYS: .*needs at least 32[\s\S]*GATEHOUSE_WEBHOOK_ALLOW: /,
    );
  });

  it('lists every bad value at once', () => {
    let error: unknown;
    try {
      parseConfig({ GATEHOUSE_WORKER_CACHED_RUNS: '-1', GATEHOUSE_WORKER_WORKFLOW_TASK_SLOTS: 'many', GATEHOUSE_HTTP_PORT: '70000' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const fields = (error as ConfigError).problems.map((p) => p.split(':')[0]);
    expect(fields.sort()).toEqual(['GATEHOUSE_HTTP_PORT', 'GATEHOUSE_WORKER_CACHED_RUNS', 'GATEHOUSE_WORKER_WORKFLOW_TASK_SLOTS']);
  });

  it('requires every secret in production mode, alongside any bad value', () => {
    let error: unknown;
    try {
      parseConfig({ GATEHOUSE_MODE: 'production', GATEHOUSE_WORKER_ACTIVITY_SLOTS: '0' });
    } catch (err) {
      error = err;
    }
    const problems = (error as ConfigError).problems;
    expect(problems).toEqual(
      expect.arrayContaining([expect.stringMatching(/^GATEHOUSE_WORKER_ACTIVITY_SLOTS:/), 'SMTP_URL: is required in production mode']),
    );
    expect(problems.filter((p) => p.endsWith('is required in production mode'))).toHaveLength(7);
    expect(problems).toContain('GATEHOUSE_SAMPLING_KEY: is required in production mode');
  });
});
