/** The machine and method sections of the report: how the figures below were obtained. */
import type { BenchRun } from './results-model.js';
import { ms, rps } from './summary.js';
import {
  BENCH_HOST,
  ROUTE_HEADER,
  ROUTE_HEADER_VALUE,
  TARGET_VIRTUAL_HOST,
  VIRTUAL_HOSTS,
} from './workload.js';

export function machineSection(run: BenchRun): string {
  const m = run.machine;
  return `## Machine

- CPU: ${m.cpuModel}, ${m.cpus} vCPUs, ${m.memoryGiB} GiB. ${m.smtNote}
- Kernel ${m.kernel}; Node ${m.node} (flags: ${m.nodeFlags}); CPU governor: ${m.governor}.
- nginx ${m.tools['nginx']}; ${m.tools['haproxy']}; ${m.tools['wrk']}. Commit ${m.gitCommit}.

\`\`\`
${m.lscpu}
\`\`\`
`;
}

function validationText(run: BenchRun): string {
  const v = run.validation;
  if ('failed' in v) return `- **Load generator validation failed:** ${v.failed}`;
  const pct = (a: number, b: number): string => `${((100 * a) / b).toFixed(0)} %`;
  return `- **Load generator validated against wrk on the direct path** (origin only, ${run.plan.validationSeconds} s each):
  wrk \`-t1 -c16\` reached ${rps(v.wrkDirectRps)} rps; the generator offered that same rate open-loop on 16 connections
  delivered ${rps(v.saturationAchieved)} rps (${pct(v.saturationAchieved, v.saturationOffered)} of wrk, its own ceiling,
  using ${pct(v.saturationGeneratorCpu, 1)} of core 0 which it shares with the origin). At ${rps(v.holdRate)} rps, ten times
  the benchmark rate, it delivered ${rps(v.holdAchieved)} rps with ${v.holdDrops} drops, send lag p50 ${ms(v.holdSendLagP50)} ms /
  p99 ${ms(v.holdSendLagP99)} ms, at ${pct(v.holdGeneratorCpu, 1)} of a core. So it is far from its limits at the
  ${rps(run.plan.fixedRate)} rps the latency figures use; wrk, not it, measures max throughput.`;
}

export function methodSection(run: BenchRun): string {
  const p = run.plan;
  const wrkCases = p.wrkCases.map((c) => `${c.payload.label} with ${c.connections} connections`).join(', ');
  const chain = p.chainCase;
  return `## Method

- **Topology T** (benchmark.md §6.2): core 0 runs the load generator (wrk or ours) and the origin (nginx,
  \`worker_processes 1\`, \`return 200\` with a fixed 0 B or 1 KB body, access log off); core 1 runs the one proxy
  under test with one worker: nginx \`worker_processes 1\` (\`proxy_http_version 1.1\`, \`Connection ""\`,
  \`keepalive 64\`), haproxy \`mode http\`, \`nbthread 1\`, default \`http-reuse safe\`, and Skein
  (\`node bin/skein.js proxy --config <bootstrap.yaml>\`, one Node process). Upstream keep-alive is on and
  per-request logging off for all. Everything binds to 127.0.0.1 and every load is bounded in time.
- **Configs.** nginx and haproxy forward everything to the origin with one route. Skein gets the realistic
  Envoy v3 bootstrap a sidecar carries: ${VIRTUAL_HOSTS} virtual hosts × 10 routes (exact path, prefix, regex and header
  matches), one STATIC cluster per service, stats on. The benchmark request (\`Host: ${BENCH_HOST}\`,
  \`${ROUTE_HEADER}: ${ROUTE_HEADER_VALUE}\`) hits virtual host #${TARGET_VIRTUAL_HOST} and its 8th route, chosen by a header after two
  header routes with the same prefix were rejected; the catch-all after it leads to a closed port. Every path
  is checked once before load to answer 200 with the exact body size. This handicaps Skein, never the peers.
- **Order.** Paths are interleaved ABAB (direct, nginx, haproxy, Skein, then again) for ${p.repetitions} repetition(s);
  each repetition starts the proxy afresh, reads idle RSS 0.5 s after it is ready, fires a discarded
  ${p.falseStartSeconds} s wrk burst (false start: JIT, allocators, connections), then the latency run, then the throughput runs.
  Tables give the median over repetitions and the min–max spread in parentheses.
- **Latency** (open loop, wrk2's rule): our generator (\`bench/loadgen.ts\`, raw \`net\` sockets, minimal
  response reader for Content-Length and chunked framing) sends request *i* at t0 + i/R with R = ${rps(p.fixedRate)} rps over ${p.fixedConnections} keep-alive
  connections (a due request takes a free connection or queues; beyond ${p.maxOutstanding} outstanding it is dropped and
  counted), ${p.fixedPayload.label} bodies. Latency = completion − *intended* send time (coordinated-omission
  correction). A worker thread sleeping with \`Atomics.wait\` wakes the schedule, because Node's 1 ms timers would
  add a uniform 0–1 ms to every sample. ${p.fixedWarmupSeconds} s warm-up discarded, ${p.fixedSeconds} s measured. "Added" latency is
  the path's percentile minus the direct path's in the same repetition (median of the pairs). The service time
  (write → response end, no queueing) is given too. The generator runs in its own process pinned to core 0;
  its CPU share is recorded (keep it below ~70 %).
- **Max throughput**: \`wrk -t1 -c<N> -d${p.wrkSeconds}s\` pinned to core 0 for ${wrkCases}. Closed loop: rps only,
  its latencies are never quoted; error responses are subtracted (the tables count 2xx/3xx only). Because
  wrk and the origin share core 0, a fast one-hop proxy can reach the load side's ceiling (topology T's 2× check,
  printed under the table). So each proxy is also measured as a **${chain.hops}-hop daisy chain** inside its one worker
  on core 1 (DPbench's method: nginx servers, haproxy frontends or Skein listeners forwarding to each other,
  the last to the origin; Skein's listeners each carry the full route table) with ${chain.payload.label} and
  ${chain.connections} connections: its rps × ${chain.hops} estimates what one core can proxy per hop.
- **Resources.** CPU = utime + stime from \`/proc/<pid>/stat\` of every process in the proxy's process group (nginx
  master + worker; threads included), read before and after a run; CPU per 1000 rps = (CPU s / wall s) /
  (rps / 1000), i.e. CPU seconds per 1000 requests. RSS and VmHWM from \`/proc/<pid>/status\`, summed over the group.
- **Shared machine.** Other sessions may build and test on this machine at the same time. Every measurement
  records the *foreign* CPU load: busy time from \`/proc/stat\` minus the CPU of the harness and its reaped children
  (wrk, the generator), the origin and the SUT. The Status section flags measurements taken beside more than
  0.15 of a core of other work.
${validationText(run)}
- **Compromise, stated plainly.** benchmark.md asks for 30 s throughput runs, 30 s warm-up + 180 s measured latency
  runs and 5 repetitions: well over an hour for four paths. This ${p.mode} run uses ${p.repetitions} repetition(s),
  ${p.wrkSeconds} s wrk runs and ${p.fixedWarmupSeconds} s + ${p.fixedSeconds} s latency runs, to finish in ${p.mode === 'full' ? 'about 10–12' : 'about 2'} minutes. At
  ${rps(p.fixedRate)} rps × ${p.fixedSeconds} s a run holds ${rps(p.fixedRate * p.fixedSeconds)} samples: p99 rests on ${rps((p.fixedRate * p.fixedSeconds) / 100)} samples above
  it, p99.9 on ${rps((p.fixedRate * p.fixedSeconds) / 1000)}, so read p99.9 and max as indicative only. wrk2's note that runs under 10–20 s mislead
  applies to the tails here.${p.mode === 'quick' ? ' **Quick mode: development figures, not for publication.**' : ''}
- **Not measured in this run:** topology L (sidecar pairs), 50 %/80 %-of-max rates, 16/256 KB bodies, HTTP/2, gRPC,
  TCP, mTLS, 1,000 idle connections, \`perf stat\` instructions per request.
- **Caveat.** Loopback on a shared 2-vCPU VM: both cores also pay for the kernel's network stack. Only ratios to the
  same-run baselines, CPU per 1000 rps and bytes transfer; absolute µs are not comparable to Istio's cross-node ms.
`;
}
