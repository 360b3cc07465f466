import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { devServerDynamicConfig, devServerDynamicConfigArgs } from '../../../src/dev/dev-server-config';

function configFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'gatehouse-dc-')), 'dev-server.dynamic-config');
  writeFileSync(file, text);
  return file;
}

describe('dev server dynamic config', () => {
  it('gives the shipped file as --dynamic-config-value pairs, the queue read limits raised', () => {
    const settings = devServerDynamicConfig();
    expect(devServerDynamicConfigArgs()).toEqual(settings.flatMap((setting) => ['--dynamic-config-value', setting]));
    expect(settings).toEqual(
      expect.arrayContaining([
        'frontend.enableUpdateWorkflowExecution=true',
        'history.transferProcessorMaxPollRPS=1000',
        'history.timerProcessorMaxPollRPS=1000',
        'history.visibilityProcessorMaxPollRPS=1000',
      ]),
    );
  });

  it('skips comments, whole-line and trailing, and blank lines', () => {
    const file = configFile('# a comment\n\n  a.b=1  \n#c.d=2\nx.y=true # why\n');
    expect(devServerDynamicConfigArgs(file)).toEqual(['--dynamic-config-value', 'a.b=1', '--dynamic-config-value', 'x.y=true']);
  });

  it('refuses a line that is not KEY=VALUE, naming the file', () => {
    const file = configFile('a.b=1\nnot a setting\n');
    expect(() => devServerDynamicConfigArgs(file)).toThrow(`${file}: "not a setting" is not KEY=VALUE`);
  });
});
