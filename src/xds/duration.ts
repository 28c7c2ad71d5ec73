import type { Duration__Output } from './generated/google/protobuf/Duration.js';

/** Milliseconds in a protobuf Duration, or `fallback` when the field is unset. */
export function durationMs(duration: Duration__Output | null | undefined, fallback: number): number {
  if (!duration) return fallback;
  return Number(duration.seconds) * 1000 + Math.round(duration.nanos / 1e6);
}

/** Formats milliseconds as proto3 JSON (`"1.5s"`), as Envoy's config_dump prints durations. */
export function formatDuration(ms: number): string {
  return `${ms / 1000}s`;
}
