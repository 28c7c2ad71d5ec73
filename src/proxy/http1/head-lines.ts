/** The lines of a message head: a start line, then field lines, each checked as it arrives. */
import { FieldLines } from './field-lines.js';
import type { LineChecker } from './line-block-reader.js';
import type { StartLineChecker } from './start-lines.js';

export class HeadLines<T> implements LineChecker {
  readonly #startLine: StartLineChecker<T>;
  readonly #fields = new FieldLines();

  constructor(startLine: StartLineChecker<T>) {
    this.#startLine = startLine;
  }

  reset(): void {
    this.#fields.reset();
  }

  checkLine(bytes: Buffer, blockStart: number, start: number, end: number, index: number): void {
    if (index === 0) this.#startLine.check(bytes, blockStart, start, end);
    else this.#fields.checkLine(bytes, blockStart, start, end);
  }

  /** The start line and the fields, cut from the text of the complete head. */
  cut(text: string): { startLine: T; headers: string[] } {
    return { startLine: this.#startLine.cut(text), headers: this.#fields.cut(text) };
  }
}
