/**
 * RouteAction.weighted_clusters as Envoy's WeightedClusterSpecifierPlugin
 * (source/common/router/weighted_cluster_specifier.cc): the total is the sum of the weights
 * (at most 2^32-1, and not 0); a value in [0, total) picks the entry whose interval holds it.
 * The value is random, or read from `header_name` when that header has exactly one value that
 * is a uint64. Each entry names a cluster or a header holding one, and may add its own header
 * mutations and host_rewrite_literal.
 */
import type { WeightedCluster__Output } from '../../xds/generated/envoy/config/route/v3/WeightedCluster.js';
import type { FieldPath } from '../../xds/proto-json.js';
import { type ConfigError, checkSupported } from '../config/config-error.js';
import { asciiLower } from '../matchers/ascii.js';
import { checkHeaderName, checkHeaderValue } from '../matchers/field-checks.js';
import { parseUint64 } from '../matchers/int64.js';
import { compileHeaderMutations, REQUEST_FIELDS, RESPONSE_FIELDS } from './header-mutation.js';
import { allHeaders, firstHeader } from './headers.js';
import type { ClusterTarget, RouteRequest } from './types.js';

interface Entry {
  readonly weight: number;
  /** Static target for a named cluster; for cluster_header, the template the name is added to. */
  readonly target: ClusterTarget;
  readonly clusterHeader: string | undefined;
}

const SUPPORTED = ['clusters', 'total_weight', 'runtime_key_prefix', 'header_name'] as const;
const ENTRY_SUPPORTED = [
  'name',
  'cluster_header',
  'weight',
  'request_headers_to_add',
  'request_headers_to_remove',
  'response_headers_to_add',
  'response_headers_to_remove',
  'host_rewrite_literal',
  'typed_per_filter_config', // deferred: exposed through RouteAction.raw
] as const;
const MAX_TOTAL_WEIGHT = 2 ** 32 - 1;

export function compileWeightedClusters(
  config: WeightedCluster__Output,
  path: FieldPath,
  errors: ConfigError[],
): ((req: RouteRequest) => ClusterTarget | undefined) | undefined {
  const before = errors.length;
  // runtime_key_prefix is accepted: without a runtime layer every weight is its configured value.
  checkSupported('envoy.config.route.v3.WeightedCluster', config, SUPPORTED, path, errors);
  if (config.clusters.length === 0)
    errors.push({ path: [...path, 'clusters'], message: 'at least one cluster is required' });

  const entries: Entry[] = [];
  let total = 0;
  config.clusters.forEach((cluster, i) => {
    const entryPath = [...path, 'clusters', i];
    checkSupported(
      'envoy.config.route.v3.WeightedCluster.ClusterWeight',
      cluster,
      ENTRY_SUPPORTED,
      entryPath,
      errors,
    );
    if ((cluster.name === '') === (cluster.cluster_header === '')) {
      errors.push({ path: entryPath, message: 'exactly one of name or cluster_header is required' });
      return;
    }
    if (
      cluster.cluster_header !== '' &&
      !checkHeaderName(cluster.cluster_header, [...entryPath, 'cluster_header'], errors)
    )
      return;
    if (!cluster.weight) {
      errors.push({ path: [...entryPath, 'weight'], message: 'weight is required' });
      return;
    }
    const hostRewrite = cluster.host_rewrite_literal;
    if (
      hostRewrite !== undefined &&
      !checkHeaderValue(hostRewrite, [...entryPath, 'host_rewrite_literal'], errors)
    )
      return;
    total += cluster.weight.value;
    entries.push({
      weight: cluster.weight.value,
      clusterHeader: cluster.cluster_header === '' ? undefined : asciiLower(cluster.cluster_header),
      target: {
        name: cluster.name,
        requestMutations: compileHeaderMutations(
          cluster.request_headers_to_add,
          cluster.request_headers_to_remove,
          entryPath,
          REQUEST_FIELDS,
          errors,
        ),
        responseMutations: compileHeaderMutations(
          cluster.response_headers_to_add,
          cluster.response_headers_to_remove,
          entryPath,
          RESPONSE_FIELDS,
          errors,
        ),
        hostRewrite: hostRewrite === '' ? undefined : hostRewrite,
      },
    });
  });
  if (total > MAX_TOTAL_WEIGHT)
    errors.push({ path: [...path, 'clusters'], message: `the sum of weights exceeds ${MAX_TOTAL_WEIGHT}` });
  if (entries.length === config.clusters.length && total === 0 && entries.length > 0) {
    errors.push({ path: [...path, 'clusters'], message: 'the sum of weights must be greater than 0' });
  }
  // total_weight is deprecated; older Envoy required it to equal the sum, so a mismatch is refused.
  if (config.total_weight && config.total_weight.value !== total) {
    errors.push({
      path: [...path, 'total_weight'],
      message: `total_weight ${config.total_weight.value} does not equal the sum of weights ${total}`,
    });
  }
  const randomHeader =
    config.header_name === undefined || config.header_name === ''
      ? undefined
      : asciiLower(config.header_name);
  if (randomHeader !== undefined) checkHeaderName(randomHeader, [...path, 'header_name'], errors);
  if (errors.length > before) return undefined;

  return (req) => {
    const selected = selectionValue(req, randomHeader, total);
    let end = 0;
    for (const entry of entries) {
      end += entry.weight;
      if (selected < end) return resolve(entry, req);
    }
    return undefined;
  };
}

function selectionValue(req: RouteRequest, randomHeader: string | undefined, total: number): number {
  if (randomHeader !== undefined) {
    // A repeated header is ignored, as it could pick differently on each hop.
    const values = allHeaders(req.headers, randomHeader);
    const parsed = values.length === 1 ? parseUint64(values[0]!) : undefined;
    if (parsed !== undefined) return Number(parsed % BigInt(total));
  }
  return Math.floor(Math.random() * total);
}

function resolve(entry: Entry, req: RouteRequest): ClusterTarget | undefined {
  if (entry.clusterHeader === undefined) return entry.target;
  const name = firstHeader(req.headers, entry.clusterHeader);
  return name ? { ...entry.target, name } : undefined;
}
