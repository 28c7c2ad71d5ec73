/** Kubernetes label sets and selectors. */

export type Labels = Readonly<Record<string, string>>;

/** True when every key/value of `selector` is in `labels` (an empty selector selects everything). */
export function labelsMatch(selector: Labels | undefined, labels: Labels): boolean {
  if (!selector) return true;
  for (const [key, value] of Object.entries(selector)) if (labels[key] !== value) return false;
  return true;
}
