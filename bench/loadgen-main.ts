/**
 * Child-process entry of the load generator: `node dist/bench/loadgen-main.js '<config json>'`.
 * The orchestrator starts it pinned to core 0 and reads one JSON result from stdout.
 */
import { type LoadgenConfig, runOpenLoop } from './loadgen.js';

const arg = process.argv[2];
if (!arg) {
  process.stderr.write("usage: loadgen-main.js '<LoadgenConfig as JSON>'\n");
  process.exit(2);
}
const config = JSON.parse(arg) as LoadgenConfig;
// A hard stop, in case the target wedges in a way the drain timeout does not catch.
const hardStopMs = (config.warmupSeconds + config.durationSeconds + config.drainSeconds + 30) * 1000;
setTimeout(() => {
  process.stderr.write('loadgen: hard time limit reached\n');
  process.exit(3);
}, hardStopMs).unref();

runOpenLoop(config).then(
  (result) => {
    process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));
  },
  (err: unknown) => {
    process.stderr.write(`loadgen: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
