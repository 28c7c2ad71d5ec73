import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { type LogSink, ManagedProcess } from './managed-process.js';

function sink(): LogSink & { lines: string[] } {
  const lines: string[] = [];
  return { lines, line: (prefix, text, stream) => lines.push(`${stream} [${prefix}] ${text}`) };
}

/** Running, not a zombie (an orphan's zombie lingers where PID 1 does not reap). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Resolves with the first line matching `pattern` once it has been logged. */
async function lineMatching(logs: { lines: string[] }, pattern: RegExp): Promise<RegExpExecArray> {
  for (let i = 0; i < 200; i++) {
    for (const line of logs.lines) {
      const match = pattern.exec(line);
      if (match) return match;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no line matching ${pattern}: ${logs.lines.join(' | ')}`);
}

describe('ManagedProcess', () => {
  it('streams output with its prefix and reports how it exited', async () => {
    const logs = sink();
    const hello = new ManagedProcess('hello', { command: ['sh', '-c', 'echo "$GREETING"; echo oops >&2; exit 3'], env: { GREETING: 'hi there' }, cwd: '/' }, logs);
    const exit = await new Promise((resolve) => hello.start(resolve));
    assert.deepEqual(exit, { code: 3, signal: null });
    assert.deepEqual(logs.lines.sort(), ['stderr [hello] oops', 'stdout [hello] hi there']);
    assert.equal(hello.running, false);
  });

  it('stop() reaches the whole process group, so a wrapper cannot leave its child behind', async () => {
    const logs = sink();
    const wrapper = new ManagedProcess('wrapper', { command: ['sh', '-c', 'sleep 30 & echo "child $!"; wait'], env: {}, cwd: '/' }, logs);
    wrapper.start(() => undefined);
    const child = Number((await lineMatching(logs, /child (\d+)/))[1]);
    assert.ok(alive(child));
    const exit = await wrapper.stop(5000);
    assert.equal(exit?.signal, 'SIGTERM');
    for (let i = 0; i < 100 && alive(child); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(alive(child), false, 'the grandchild got SIGTERM too');
  });

  it('stop() sends SIGKILL when SIGTERM is ignored for the grace period', async () => {
    const logs = sink();
    const stubborn = new ManagedProcess('stubborn', { command: ['sh', '-c', 'trap "" TERM; echo ready; while :; do sleep 0.05; done'], env: {}, cwd: '/' }, logs);
    stubborn.start(() => undefined);
    await lineMatching(logs, /ready/);
    const started = Date.now();
    const exit = await stubborn.stop(300);
    assert.equal(exit?.signal, 'SIGKILL');
    assert.ok(Date.now() - started >= 290, 'waited out the grace period first');
  });

  it('a command that cannot start exits with 127 and says why', async () => {
    const logs = sink();
    const missing = new ManagedProcess('missing', { command: ['/nonexistent/skein-app'], env: {}, cwd: '/' }, logs);
    const exit = await new Promise((resolve) => missing.start(resolve));
    assert.deepEqual(exit, { code: 127, signal: null });
    assert.match(logs.lines.join('\n'), /\[missing\] failed to start: spawn \/nonexistent\/skein-app ENOENT/);
  });
});
