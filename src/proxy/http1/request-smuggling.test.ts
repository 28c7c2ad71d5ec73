/**
 * The defparam/smuggler byte grid, regenerated: every byte 0x00-0xFF inserted before,
 * inside and after each part of the framing fields and chunk lines, or replacing one of
 * their bytes. Each variant must be refused, or read with one unambiguous framing: never
 * chunked by one reading and length-delimited by another.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ALL_BYTES, hex, http, parseRequests } from './harness.test.util.js';
import { getHeaderValues } from './headers.js';

/** Every way of inserting `b` into `text` or replacing one of its chars with `b`, with a label. */
function mutations(text: string, b: string): [string, string][] {
  const out: [string, string][] = [];
  for (let at = 0; at <= text.length; at++) {
    out.push([`insert ${hex(b)} at ${at}`, text.slice(0, at) + b + text.slice(at)]);
  }
  for (let at = 0; at < text.length; at++) {
    if (text[at] !== b) out.push([`replace ${at} by ${hex(b)}`, text.slice(0, at) + b + text.slice(at + 1)]);
  }
  return out;
}

const CHUNKED_BODY = '5\r\nhello\r\n0\r\n\r\n';

describe('smuggler grid: Transfer-Encoding field line', () => {
  const line = 'Transfer-Encoding: chunked';

  it('never half-recognizes a mutated Transfer-Encoding line (no Content-Length)', () => {
    let accepted = 0;
    for (const b of ALL_BYTES) {
      for (const [label, mutated] of mutations(line, b)) {
        const outcome = parseRequests(http('POST / HTTP/1.1', 'Host: a', mutated, '', CHUNKED_BODY));
        const first = outcome.messages[0];
        if (first === undefined) {
          assert.ok(outcome.error, `${label}: neither refused nor parsed`);
          continue;
        }
        accepted++;
        const te = getHeaderValues(first.head.headers, 'transfer-encoding');
        if (first.head.chunked) {
          // Recognized: it must be the one canonical field, and the body read by the chunked coding.
          assert.deepEqual(
            te.map((v) => v.toLowerCase()),
            ['chunked'],
            label,
          );
          assert.equal(first.body, 'hello', label);
        } else {
          // Not recognized: no field of that name may exist, and no body was read.
          assert.deepEqual(te, [], label);
          assert.equal(first.body, '', label);
        }
      }
    }
    assert.ok(accepted > 0, 'the benign variants (case, OWS, other field names) are accepted');
  });

  it('never lets a mutated Transfer-Encoding line coexist with Content-Length as framing', () => {
    for (const b of ALL_BYTES) {
      for (const [label, mutated] of mutations(line, b)) {
        const outcome = parseRequests(
          http('POST / HTTP/1.1', 'Host: a', mutated, 'Content-Length: 3', '', 'abc'),
        );
        const first = outcome.messages[0];
        if (first === undefined) continue;
        assert.equal(first.head.chunked, false, label);
        assert.deepEqual(getHeaderValues(first.head.headers, 'transfer-encoding'), [], label);
        assert.equal(first.head.contentLength, 3, label);
        assert.equal(first.body, 'abc', label);
      }
    }
  });

  it('reads a mutated Transfer-Encoding line identically wherever the input is cut', () => {
    for (const b of ['\x00', '\t', ' ', '\r', '\n', '\x0b', ',', '\x85', '\xff', 'x']) {
      for (const [label, mutated] of mutations(line, b)) {
        const input = http('POST / HTTP/1.1', 'Host: a', mutated, '', CHUNKED_BODY);
        const whole = JSON.stringify(parseRequests(input).messages);
        for (const at of [20, 30, 40, input.length - 12]) {
          assert.equal(
            JSON.stringify(parseRequests(input, { cuts: [at] }).messages),
            whole,
            `${label}, cut ${at}`,
          );
        }
      }
    }
  });
});

describe('smuggler grid: Content-Length field line', () => {
  it('reads a mutated Content-Length line as exactly its digits, or not at all', () => {
    const line = 'Content-Length: 5';
    for (const b of ALL_BYTES) {
      for (const [label, mutated] of mutations(line, b)) {
        const outcome = parseRequests(http('POST / HTTP/1.1', 'Host: a', mutated, '', 'hello'));
        const first = outcome.messages[0];
        if (first === undefined) continue;
        const values = getHeaderValues(first.head.headers, 'content-length');
        if (values.length === 0) {
          assert.equal(first.head.contentLength, -1, label);
          assert.equal(first.body, '', label);
        } else {
          assert.equal(values.length, 1, label);
          assert.match(values[0]!, /^[0-9]+$/, label);
          assert.equal(first.head.contentLength, Number(values[0]), label);
          assert.equal(first.body, 'hello'.slice(0, first.head.contentLength), label);
        }
      }
    }
  });
});

describe('smuggler grid: chunk lines', () => {
  const head = http('POST / HTTP/1.1', 'Host: a', 'Transfer-Encoding: chunked', '', '');

  /** A mutated chunked body either fails, stays incomplete, or yields exactly one reading of it. */
  function checkBody(body: string, label: string, expected: string): void {
    const outcome = parseRequests(head + body);
    const first = outcome.messages[0];
    if (first === undefined) return;
    assert.equal(first.body, expected, label);
  }

  it('reads mutated chunk-size lines as exactly their hex size, or refuses them', () => {
    for (const b of ALL_BYTES) {
      for (const [label, mutated] of mutations('5;a=b', b)) {
        checkBody(`${mutated}\r\nhello\r\n0\r\n\r\n`, label, 'hello');
      }
      for (const [label, mutated] of mutations('0', b)) {
        checkBody(`5\r\nhello\r\n${mutated}\r\n\r\n`, `last chunk ${label}`, 'hello');
      }
    }
  });

  it('refuses any byte in place of, or before, the CRLF after chunk data', () => {
    for (const b of ALL_BYTES) {
      for (const [label, mutated] of mutations('\r\n', b)) {
        const outcome = parseRequests(`${head}5\r\nhello${mutated}0\r\n\r\n`);
        if (label.startsWith('insert') && label.endsWith('at 2')) continue; // after the CRLF: part of the next line
        assert.ok(outcome.error, `${label} after chunk data must be refused`);
      }
    }
  });
});
