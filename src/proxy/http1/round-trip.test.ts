/**
 * Randomized round trip: seeded random requests and responses are serialized, cut into
 * random pieces, and parsed back; what comes out must be what went in. The seed makes each
 * run the same, so a failure replays.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRequests, parseResponse, seededRandom } from './harness.test.util.js';
import { removeHeaders } from './headers.js';
import { encodeChunk, encodeLastChunk, serializeRequestHead, serializeResponseHead } from './serializer.js';

const FRAMING: ReadonlySet<string> = new Set(['content-length', 'transfer-encoding']);
const TCHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz";
const VALUE_CHARS = ' \t!"#$%&()*+,-./0123456789:;<=>?@ABCXYZ[\\]^_`abcxyz{|}~\x80\xe9\xff';

interface Generated {
  method: string;
  target: string;
  headers: string[];
  body: string;
  chunked: boolean;
  trailers: string[] | undefined;
}

function generator(seed: number) {
  const random = seededRandom(seed);
  const int = (max: number) => Math.floor(random() * max);
  const pick = <T>(items: ArrayLike<T>): T => items[int(items.length)]!;
  const text = (chars: string, min: number, max: number) =>
    Array.from({ length: min + int(max - min + 1) }, () => pick(chars)).join('');
  const fields = (count: number) => {
    const out: string[] = [];
    for (let i = 0; i < count; i++) {
      // x- prefix keeps random names clear of the fields with framing or routing meaning.
      const value = text(VALUE_CHARS, 0, 40).replace(/^[ \t]+|[ \t]+$/g, '');
      out.push(`x-${text(TCHARS, 1, 12)}`, value);
    }
    return out;
  };
  const message = (): Generated => {
    const chunked = random() < 0.5;
    return {
      method: pick(['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'M-SEARCH']),
      target: `/${text('abcxyz0123456789-._~!$&()*+,;=:@/%?', 0, 60)}`,
      headers: ['host', pick(['a.example', 'b.example:8080', '[::1]:80']), ...fields(int(12))],
      body: text('\x00\r\n0123456789abcdef;\xff', 0, 300),
      chunked,
      trailers: chunked && random() < 0.3 ? fields(1 + int(3)) : undefined,
    };
  };
  const cuts = (length: number) =>
    Array.from({ length: int(6) }, () => int(length + 1)).sort((a, b) => a - b);
  return { message, cuts, int };
}

function wire(head: string, generated: Generated, random: ReturnType<typeof generator>): Buffer {
  const parts: Buffer[] = [Buffer.from(head, 'latin1')];
  if (generated.chunked) {
    const body = Buffer.from(generated.body, 'latin1');
    for (let at = 0; at < body.length; ) {
      const size = 1 + random.int(64);
      parts.push(encodeChunk(body.subarray(at, at + size)));
      at += size;
    }
    parts.push(encodeLastChunk(generated.trailers));
  } else {
    parts.push(Buffer.from(generated.body, 'latin1'));
  }
  return Buffer.concat(parts);
}

describe('round trip: serializer → wire → parser', () => {
  it('parses 500 random pipelined request batches back to what was serialized', () => {
    const random = generator(0x5eed);
    for (let round = 0; round < 500; round++) {
      const batch = Array.from({ length: 1 + random.int(3) }, random.message);
      const input = Buffer.concat(
        batch.map((m) =>
          wire(
            serializeRequestHead(m.method, m.target, m.headers, m.chunked ? 'chunked' : m.body.length),
            m,
            random,
          ),
        ),
      );
      const outcome = parseRequests(input, { cuts: random.cuts(input.length) });
      assert.equal(outcome.error, undefined, `round ${round}: ${outcome.error?.message}`);
      assert.equal(outcome.consumed, input.length, `round ${round}`);
      assert.deepEqual(
        outcome.messages.map(({ head, body, trailers }) => ({
          method: head.method,
          target: head.target,
          headers: removeHeaders(head.headers, FRAMING),
          body,
          chunked: head.chunked,
          trailers,
        })),
        batch.map((m) => ({
          method: m.method,
          target: m.target,
          headers: m.headers,
          body: m.body,
          chunked: m.chunked,
          trailers: m.trailers,
        })),
        `round ${round}`,
      );
    }
  });

  it('parses 500 random responses back to what was serialized', () => {
    const random = generator(0xb0d1);
    for (let round = 0; round < 500; round++) {
      const m = random.message();
      const status = [200, 201, 404, 500, 503][random.int(5)]!;
      const head = serializeResponseHead(status, undefined, m.headers, m.chunked ? 'chunked' : m.body.length);
      const input = wire(head, m, random);
      const outcome = parseResponse(input, { cuts: random.cuts(input.length) });
      assert.equal(outcome.error, undefined, `round ${round}: ${outcome.error?.message}`);
      assert.equal(outcome.head?.status, status);
      assert.equal(outcome.body, m.body, `round ${round}`);
      assert.deepEqual(outcome.trailers, m.trailers, `round ${round}`);
      assert.equal(outcome.canReuseConnection, true, `round ${round}`);
    }
  });
});
