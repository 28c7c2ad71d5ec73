/**
 * Skein's memory against config size (benchmark.md §6.5 item 2): RSS with a small config
 * (1 cluster × 1 endpoint), 1,000 clusters × 1 endpoint and 1,000 × 10, all STATIC with stats
 * on. Bytes per cluster = (RSS 1000×1 − RSS small) / 999; per endpoint = (RSS 1000×10 − RSS
 * 1000×1) / 9,000, the split Envoy's stats_integration_test uses.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { SutUnavailable, startSkeinWith } from './peers.js';
import { distinctFreePorts } from './processes.js';
import { groupMemory } from './resources.js';
import type { ClusterScale, ClusterScaleSample } from './results-model.js';
import { clusterScaleBootstrap } from './skein-bootstrap.js';

const SHAPES: ReadonlyArray<readonly [number, number]> = [
  [1, 1],
  [1000, 1],
  [1000, 10],
];

/** How long RSS is left to settle after /ready before it is read. */
const SETTLE_MS = 2000;

export async function measureClusterScale(
  repetitions: number,
  log: (line: string) => void,
): Promise<ClusterScale> {
  const samples: ClusterScaleSample[] = SHAPES.map(([clusters, endpointsPerCluster]) => ({
    clusters,
    endpointsPerCluster,
    rss: [],
  }));
  for (let rep = 1; rep <= repetitions; rep++) {
    for (const sample of samples) {
      log(`skein memory #${rep}: ${sample.clusters} clusters × ${sample.endpointsPerCluster} endpoints`);
      const ports = await distinctFreePorts(2);
      const [listenPort, adminPort] = [ports[0]!, ports[1]!];
      const bootstrap = clusterScaleBootstrap(
        { listenPort, adminPort },
        sample.clusters,
        sample.endpointsPerCluster,
      );
      let sut: Awaited<ReturnType<typeof startSkeinWith>>;
      try {
        sut = await startSkeinWith(bootstrap, listenPort, adminPort, 60_000);
      } catch (err) {
        if (err instanceof SutUnavailable) return { skipped: `proxy did not start: ${err.message}` };
        throw err;
      }
      try {
        await sleep(SETTLE_MS);
        sample.rss.push(groupMemory(sut.proc!.pid).rss);
      } finally {
        await sut.stop();
      }
    }
  }
  return { samples };
}
