/**
 * envoy.type.v3.FractionalPercent and config.core.v3.RuntimeFractionalPercent as Envoy evaluates
 * them (ProtobufPercentHelper::evaluateFractionalPercent): a request is in the fraction when
 * `random % denominator < numerator`, so a numerator above the denominator means always.
 * Skein has no runtime layer: a runtime_key never overrides default_value, as in an Envoy whose
 * runtime does not set that key.
 */
import type { RuntimeFractionalPercent__Output } from '../../../xds/generated/envoy/config/core/v3/RuntimeFractionalPercent.js';
import type { FractionalPercent__Output } from '../../../xds/generated/envoy/type/v3/FractionalPercent.js';
import type { FieldPath } from '../../../xds/proto-json.js';
import { type ConfigError, checkSupported } from '../../config/config-error.js';

/** A uniform random number in [0, 1), Math.random's contract. */
export type Random = () => number;

export interface Fraction {
  readonly numerator: number;
  readonly denominator: number;
}

const DENOMINATORS: Readonly<Record<string, number>> = {
  HUNDRED: 100,
  TEN_THOUSAND: 10_000,
  MILLION: 1_000_000,
};

/** An unset FractionalPercent is its proto default, 0/HUNDRED: never. */
export const NEVER: Fraction = { numerator: 0, denominator: 100 };

export function compileFractionalPercent(
  percent: FractionalPercent__Output | null,
  path: FieldPath,
  errors: ConfigError[],
): Fraction | undefined {
  if (!percent) return NEVER;
  checkSupported('envoy.type.v3.FractionalPercent', percent, ['numerator', 'denominator'], path, errors);
  const denominator = DENOMINATORS[percent.denominator];
  if (denominator === undefined) {
    errors.push({ path: [...path, 'denominator'], message: `unknown denominator ${String(percent.denominator)}` });
    return undefined;
  }
  return { numerator: percent.numerator, denominator };
}

/** Whether this request falls in the fraction. */
export function inFraction(fraction: Fraction, random: Random): boolean {
  return Math.floor(random() * fraction.denominator) < fraction.numerator;
}

/** A RuntimeFractionalPercent: its default_value (required by Envoy's schema). */
export function compileRuntimeFractionalPercent(
  percent: RuntimeFractionalPercent__Output,
  path: FieldPath,
  errors: ConfigError[],
): Fraction | undefined {
  checkSupported(
    'envoy.config.core.v3.RuntimeFractionalPercent',
    percent,
    ['default_value', 'runtime_key'],
    path,
    errors,
  );
  if (!percent.default_value) {
    errors.push({ path: [...path, 'default_value'], message: 'default_value is required' });
    return undefined;
  }
  return compileFractionalPercent(percent.default_value, [...path, 'default_value'], errors);
}
