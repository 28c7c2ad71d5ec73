/**
 * Earliest-deadline-first scheduler, Envoy's weighted round robin (source/common/upstream/
 * edf_scheduler.h): each entry's next deadline is `now + 1/weight`; a pick takes the earliest
 * deadline (ties in insertion order) and re-adds it with its current weight. Used for hosts
 * (ROUND_ROBIN, weighted LEAST_REQUEST) and for localities (locality-weighted balancing).
 */
interface Entry<T> {
  deadline: number;
  order: number;
  item: T;
}

export class EdfScheduler<T> {
  private readonly heap: Entry<T>[] = [];
  private now = 0;
  private nextOrder = 0;

  get size(): number {
    return this.heap.length;
  }

  add(weight: number, item: T): void {
    if (!(weight > 0)) return; // zero weight never gets picked; Envoy asserts weight > 0
    this.push({ deadline: this.now + 1 / weight, order: this.nextOrder++, item });
  }

  /** Picks the entry with the earliest deadline and re-adds it with `weightOf(item)`. */
  pickAndAdd(weightOf: (item: T) => number): T | undefined {
    const top = this.pop();
    if (!top) return undefined;
    this.now = top.deadline;
    this.add(weightOf(top.item), top.item);
    return top.item;
  }

  private less(a: Entry<T>, b: Entry<T>): boolean {
    return a.deadline < b.deadline || (a.deadline === b.deadline && a.order < b.order);
  }

  private push(entry: Entry<T>): void {
    const heap = this.heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  private pop(): Entry<T> | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && this.less(heap[left]!, heap[smallest]!)) smallest = left;
      if (right < heap.length && this.less(heap[right]!, heap[smallest]!)) smallest = right;
      if (smallest === i) break;
      [heap[i], heap[smallest]] = [heap[smallest]!, heap[i]!];
      i = smallest;
    }
    return top;
  }
}
