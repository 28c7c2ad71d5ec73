/**
 * The control plane's metrics under istiod's names, help texts and buckets
 * (istio/istio pilot/pkg/xds/monitoring.go and pkg/xds/monitoring.go), plus one of Skein's own:
 * convergence measured to the proxy's ACK rather than to the send.
 */
import { MetricsRegistry } from './prometheus.js';

const ISTIO_TIME_BUCKETS = [0.01, 0.1, 1, 3, 5, 10, 20, 30];
const ISTIO_CONVERGENCE_BUCKETS = [0.1, 0.5, 1, 3, 5, 10, 20, 30];
const ACK_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export class ControlPlaneMetrics {
  readonly registry = new MetricsRegistry();

  readonly xdsClients = this.registry.gauge(
    'pilot_xds',
    'Number of endpoints connected to this pilot using XDS.',
  );
  /** Labelled `type`: cds, eds, lds, rds (pushes) and `<type>_senderr` (failed sends). */
  readonly pushes = this.registry.counter(
    'pilot_xds_pushes',
    'Pilot build and send errors for lds, rds, cds and eds.',
  );
  readonly rejects = this.registry.counter(
    'pilot_total_xds_rejects',
    'Total number of XDS responses from pilot rejected by proxy.',
  );
  readonly expiredNonce = this.registry.counter(
    'pilot_xds_expired_nonce',
    'Total number of XDS requests with an expired nonce.',
  );
  readonly internalErrors = this.registry.counter(
    'pilot_total_xds_internal_errors',
    'Total number of internal XDS errors in pilot.',
  );
  readonly pushTriggers = this.registry.counter(
    'pilot_push_triggers',
    'Total number of times a push was triggered, labeled by reason for the push.',
  );
  readonly pushTime = this.registry.histogram(
    'pilot_xds_push_time',
    'Total time in seconds Pilot takes to push lds, rds, cds and eds.',
    ISTIO_TIME_BUCKETS,
  );
  readonly sendTime = this.registry.histogram(
    'pilot_xds_send_time',
    'Total time in seconds Pilot takes to send generated configuration.',
    ISTIO_TIME_BUCKETS,
  );
  readonly debounceTime = this.registry.histogram(
    'pilot_debounce_time',
    'Delay in seconds between the first config enters debouncing and the merged push request is pushed into the push queue.',
    ISTIO_TIME_BUCKETS,
  );
  readonly queueTime = this.registry.histogram(
    'pilot_proxy_queue_time',
    'Time in seconds, a proxy is in the push queue before being dequeued.',
    ISTIO_CONVERGENCE_BUCKETS,
  );
  readonly convergenceTime = this.registry.histogram(
    'pilot_proxy_convergence_time',
    'Delay in seconds between config change and a proxy receiving all required configuration.',
    ISTIO_CONVERGENCE_BUCKETS,
  );
  readonly ackConvergenceTime = this.registry.histogram(
    'skein_proxy_ack_convergence_time',
    'Delay in seconds between config change and a proxy acknowledging all of the configuration pushed for it.',
    ACK_BUCKETS,
  );
}
