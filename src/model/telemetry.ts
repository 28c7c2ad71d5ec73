/** Istio `telemetry.istio.io` Telemetry spec (v1alpha1 / v1), lowerCamel names as in istio/api telemetry/v1alpha1. */
import type { LabelSelector, PolicyTargetReference } from './security.js';

export type WorkloadMode = 'CLIENT_AND_SERVER' | 'CLIENT' | 'SERVER';

export interface ProviderRef {
  readonly name: string;
}

export interface TelemetrySpec {
  readonly selector?: LabelSelector;
  readonly targetRef?: PolicyTargetReference;
  readonly targetRefs?: readonly PolicyTargetReference[];
  readonly tracing?: readonly Tracing[];
  readonly metrics?: readonly Metrics[];
  readonly accessLogging?: readonly AccessLogging[];
}

export interface Tracing {
  readonly match?: { readonly mode?: WorkloadMode };
  readonly providers?: readonly ProviderRef[];
  /** 0–100. */
  readonly randomSamplingPercentage?: number;
  readonly disableSpanReporting?: boolean;
  readonly customTags?: Readonly<
    Record<
      string,
      {
        readonly literal?: { readonly value: string };
        readonly environment?: { readonly name: string; readonly defaultValue?: string };
        readonly header?: { readonly name: string; readonly defaultValue?: string };
        readonly formatter?: { readonly value: string };
      }
    >
  >;
  readonly useRequestIdForTraceSampling?: boolean;
  readonly enableIstioTags?: boolean;
  readonly disableContextPropagation?: boolean;
}

export type MetricSelectorName =
  | 'ALL_METRICS'
  | 'REQUEST_COUNT'
  | 'REQUEST_DURATION'
  | 'REQUEST_SIZE'
  | 'RESPONSE_SIZE'
  | 'TCP_OPENED_CONNECTIONS'
  | 'TCP_CLOSED_CONNECTIONS'
  | 'TCP_SENT_BYTES'
  | 'TCP_RECEIVED_BYTES'
  | 'GRPC_REQUEST_MESSAGES'
  | 'GRPC_RESPONSE_MESSAGES';

export interface Metrics {
  readonly providers?: readonly ProviderRef[];
  readonly overrides?: readonly {
    readonly match?: { readonly metric?: MetricSelectorName; readonly customMetric?: string; readonly mode?: WorkloadMode };
    readonly disabled?: boolean;
    readonly tagOverrides?: Readonly<Record<string, { readonly operation?: 'UPSERT' | 'REMOVE'; readonly value?: string }>>;
  }[];
  readonly reportingInterval?: string;
}

export interface AccessLogging {
  readonly match?: { readonly mode?: WorkloadMode };
  readonly providers?: readonly ProviderRef[];
  readonly disabled?: boolean;
  readonly filter?: { readonly expression: string };
}
