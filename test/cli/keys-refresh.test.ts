/** `gatehouse keys refresh` when it cannot do its work: it says so and exits non-zero. */
import { runCli } from '../support/cli';

describe('gatehouse keys refresh', () => {
  it('exits 1 with a clear message when Temporal cannot be reached', async () => {
    const result = await runCli({ TEMPORAL_ADDRESS: '127.0.0.1:1', GATEHOUSE_TASK_QUEUE: 'nowhere' }, 'keys', 'refresh');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^gatehouse: cannot reach Temporal at 127\.0\.0\.1:1 \(namespace default\): .+; no run was signalled\n$/);
    expect(result.stdout).toBe('');
  });

  it('refuses options it does not know', async () => {
    const result = await runCli({ TEMPORAL_ADDRESS: '127.0.0.1:1' }, 'keys', 'refresh', '--everything');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("Unknown option '--everything'");
  });
});
