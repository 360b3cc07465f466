/** The Slack-compatible fake the dev stack runs too (src/dev/slack-fake.ts). */
export { startSlackFake, type FakeCard, type SlackCall, type SlackFake } from '../../src/dev/slack-fake';
