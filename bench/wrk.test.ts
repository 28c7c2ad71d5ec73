import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseWrkOutput } from './wrk.js';

const SAMPLE = `Running 5s test @ http://127.0.0.1:19001/p/1kb
  1 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   219.99us   37.52us 561.00us   79.86%
    Req/Sec    54.65k     2.88k   57.37k    73.17%
  222701 requests in 4.10s, 249.34MB read
  Socket errors: connect 0, read 2, write 1, timeout 0
  Non-2xx or 3xx responses: 7
Requests/sec:  54318.22
Transfer/sec:     60.82MB
`;

describe('parseWrkOutput', () => {
  it('reads requests, rps and errors', () => {
    assert.deepEqual(parseWrkOutput(SAMPLE), { requests: 222701, rps: 54318.22, non2xx: 7, socketErrors: 3 });
  });

  it('treats missing error lines as zero', () => {
    const clean = SAMPLE.replace(/ {2}Socket errors.*\n/, '').replace(/ {2}Non-2xx.*\n/, '');
    assert.deepEqual(parseWrkOutput(clean), { requests: 222701, rps: 54318.22, non2xx: 0, socketErrors: 0 });
  });

  it('refuses output it does not recognise', () => {
    assert.throws(() => parseWrkOutput('unable to connect to 127.0.0.1:1 Connection refused'));
  });
});
