import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RequestView, requestHeaderValue } from './request-view.js';
import { request } from './test-support.js';

describe('RequestView', () => {
  it('matches on the path without query and fragment, optionally without path parameters', () => {
    const view = new RequestView(false);
    view.reset(request({ path: '/a;p=1/b?x=1#f' }));
    assert.equal(view.pathForMatching(), '/a;p=1/b');
    view.reset(request({ path: '/a#f?x' }));
    assert.equal(view.pathForMatching(), '/a');
    const ignoring = new RequestView(true);
    ignoring.reset(request({ path: '/a;p=1/b?x=1' }));
    assert.equal(ignoring.pathForMatching(), '/a');
    ignoring.reset(request({ path: '/a?x=;' }));
    assert.equal(ignoring.pathForMatching(), '/a');
  });

  it('serves pseudo-headers from the request and Host as :authority', () => {
    const req = request({
      authority: 'h.example:80',
      method: 'PUT',
      path: '/p?q',
      scheme: 'https',
      headers: ['x', '1', 'x', '2'],
    });
    assert.equal(requestHeaderValue(req, ':authority'), 'h.example:80');
    assert.equal(requestHeaderValue(req, 'host'), 'h.example:80');
    assert.equal(requestHeaderValue(req, ':method'), 'PUT');
    assert.equal(requestHeaderValue(req, ':path'), '/p?q');
    assert.equal(requestHeaderValue(req, ':scheme'), 'https');
    assert.equal(requestHeaderValue(req, 'x'), '1,2');
    assert.equal(requestHeaderValue(request({ authority: '' }), 'host'), undefined);
  });

  it('parses the query once and draws one random value per request', () => {
    const view = new RequestView(false);
    view.reset(request({ path: '/p?a=1&a=2&b' }));
    assert.equal(view.firstQueryValue('a'), '1');
    assert.equal(view.firstQueryValue('b'), '');
    assert.equal(view.randomFraction(), view.randomFraction());
    view.reset(request({ path: '/p' }));
    assert.equal(view.firstQueryValue('a'), undefined);
  });
});
