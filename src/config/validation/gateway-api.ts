/**
 * Gateway API checks beyond the CRD schema and its CEL rules (which run in schema-validator.ts):
 * regular expressions must be RE2, as Istio's translation compiles them for Envoy's safe_regex.
 * Istio marks such a route not Accepted; a file-based control plane rejects it with its line.
 */
import type { ConfigResource } from '../../model/config.js';
import { Issues, validateRegex } from './common.js';

interface MatchValue {
  readonly type?: string;
  readonly value?: string;
  readonly name?: string;
}

interface RouteRule {
  readonly matches?: readonly {
    readonly path?: MatchValue;
    readonly headers?: readonly MatchValue[];
    readonly queryParams?: readonly MatchValue[];
    readonly method?: { readonly type?: string; readonly service?: string; readonly method?: string };
  }[];
}

export function validateRouteRegexes(resource: ConfigResource): Issues {
  const spec = (resource.spec ?? {}) as { readonly rules?: readonly RouteRule[] };
  const issues = new Issues();
  spec.rules?.forEach((rule, i) => {
    rule.matches?.forEach((match, j) => {
      const path = ['spec', 'rules', i, 'matches', j];
      if (match.path?.type === 'RegularExpression') issues.error([...path, 'path', 'value'], validateRegex(match.path.value ?? '', 'path'));
      for (const field of ['headers', 'queryParams'] as const) {
        match[field]?.forEach((m, k) => {
          if (m.type === 'RegularExpression') issues.error([...path, field, k, 'value'], validateRegex(m.value ?? '', field));
        });
      }
      if (match.method?.type === 'RegularExpression') {
        if (match.method.service) issues.error([...path, 'method', 'service'], validateRegex(match.method.service, 'method.service'));
        if (match.method.method) issues.error([...path, 'method', 'method'], validateRegex(match.method.method, 'method.method'));
      }
    });
  });
  return issues;
}
