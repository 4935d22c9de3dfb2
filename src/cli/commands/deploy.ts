import { DEFAULT_WAVES } from '../../ops/deploy/rollout/waves.js';
import { DEFAULT_CONCURRENCY } from '../../ops/fleet/defaults.js';
import { clientsArg, defineCommand } from '../define.js';
import { flag, fleetOptions, negatable, text } from '../options.js';

export const deploy = defineCommand({
  name: 'deploy',
  description:
    "build once, upload each client's code and secrets as one version, and roll out in verified waves; a failed wave goes back to what it ran before",
  args: [clientsArg()],
  options: {
    ...fleetOptions(DEFAULT_CONCURRENCY.upload),
    canary: text('--canary <clients>', 'the first wave: these clients (comma-separated; default: the first client)'),
    waves: text('--waves <steps>', `clients deployed by the end of each wave, counts or percentages (default: ${DEFAULT_WAVES})`),
    allAtOnce: flag('--all-at-once', 'one wave: every client at once, then verify'),
    rollback: negatable('--no-rollback', 'when a wave fails, leave its clients on the new version (the rollout still halts)'),
    verify: negatable('--no-verify', 'skip the checks (and with them the waves: every client at once)'),
    percent: text(
      '--percent <n>',
      "dark launch: upload the new version and send it N % (1..99) of each client's traffic, the old version the rest; again to move the split",
    ),
    promote: flag('--promote', "end a dark launch: the split's newer version at 100 %"),
    ramp: text(
      '--ramp <percents>',
      "inside each wave, each client's new version takes these shares of its traffic in turn, judged at each, before 100 % (e.g. 10,50)",
    ),
    bake: text(
      '--bake <duration>',
      "after a wave's checks pass, hold it this long (e.g. 5m) on real traffic; a breach of the limits below rolls the wave back",
    ),
    maxErrorRate: text(
      '--max-error-rate <percent>',
      "with --bake: the new version's most errors (5xx on /mcp, failed tool calls), e.g. 2% (default: 2%)",
    ),
    maxP95: text('--max-p95 <ms>', "with --bake: the new version's slowest p95 latency on /mcp, e.g. 800ms (default: not judged)"),
    minRequests: text(
      '--min-requests <n>',
      'with --bake: requests a client needs before its bake judges (default: 50; fewer are not judged)',
    ),
    plan: flag('--plan', 'print what would be deployed, how, in which wave, with how many API calls and how long; change nothing'),
  },
  examples: [
    { args: 'deploy --all --plan', what: 'what would be deployed, in which wave, with how many API calls; changes nothing' },
    { args: 'deploy --all --local', what: 'every client to the local edge, in verified waves' },
    { args: 'deploy acme --percent 10', what: "acme's new version at 10 % of its traffic; --percent 50 moves it, --promote ends it" },
    { args: 'deploy --all --canary acme --waves 1,50%,100%', what: 'acme first, then half the fleet, then the rest' },
    {
      args: 'deploy --all --ramp 10,50 --bake 5m',
      what: "each wave at 10 %, then 50 %, then 100 % of its clients' traffic, baked at each",
    },
    {
      args: 'deploy --all --bake 5m --max-error-rate 2% --max-p95 800ms',
      what: "each wave held 5 minutes on real traffic; the new version's errors or latency over the limits roll it back",
    },
  ],
  access: 'write',
  // The plan only reads: it never waits for another writer.
  lockDir: ({ flags, ctx }) => (flags.plan ? undefined : ctx.cwd),
  run: async ({ args, flags, ctx }) => (await import('../run/deploy.js')).runDeploy(ctx, { ...args, ...flags }),
});
