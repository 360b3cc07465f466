import { runKillLoop } from './support/kill-loop';
it('scratch', async () => {
  const r = await runKillLoop({ address: process.env['GATEHOUSE_TEST_TEMPORAL_ADDRESS']!, kills: 8, runsPerKill: 2, log: (l) => process.stderr.write(`${new Date().toISOString()} ${l}\n`) });
}, 300_000);
