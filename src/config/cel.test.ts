import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileCel } from './cel.js';
import { crdSchemaTable } from './crd-schemas.js';

function holds(rule: string, self: unknown): boolean {
  const compiled = compileCel(rule);
  if (!compiled.ok) throw new Error(compiled.error);
  return compiled.program.holds(self);
}

describe('CEL subset for x-kubernetes-validations', () => {
  it('compiles every rule of the shipped Istio and Gateway API CRDs', () => {
    const rules = new Set<string>();
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) return node.forEach(walk);
      if (node === null || typeof node !== 'object') return;
      const validations = (node as Record<string, unknown>)['x-kubernetes-validations'];
      if (Array.isArray(validations)) for (const v of validations as { rule: string }[]) rules.add(v.rule);
      Object.values(node).forEach(walk);
    };
    walk(crdSchemaTable());
    assert.ok(rules.size > 100, `found ${rules.size} rules`);
    const failed = [...rules].filter((r) => !compileCel(r).ok);
    assert.deepEqual(failed, []);
    const transition = [...rules].filter((r) => compileCel(r).ok && (compileCel(r) as { program: { transition: boolean } }).program.transition);
    assert.deepEqual(transition, ['self == oldSelf']);
  });

  it('evaluates durations with Go syntax', () => {
    const rule = "duration(self) >= duration('1ms')";
    assert.equal(holds(rule, '1.5s'), true);
    assert.equal(holds(rule, '1h2m'), true);
    assert.equal(holds(rule, '500us'), false);
    assert.throws(() => holds(rule, '10x'), /unknown unit/);
  });

  it('evaluates macros, has() and escaped property names', () => {
    const unique = 'self.all(l1, self.exists_one(l2, l1.name == l2.name))';
    assert.equal(holds(unique, [{ name: 'a' }, { name: 'b' }]), true);
    assert.equal(holds(unique, [{ name: 'a' }, { name: 'a' }]), false);
    const ns = "(!has(self.__namespace__) || self.__namespace__ == '') ? true : self.__namespace__ == 'x'";
    assert.equal(holds(ns, { namespace: 'x' }), true);
    assert.equal(holds(ns, { namespace: 'y' }), false);
    assert.equal(holds(ns, {}), true);
    assert.equal(holds("self.filter(f, f.type == 'CORS').size() <= 1", [{ type: 'CORS' }, { type: 'CORS' }]), false);
  });

  it('matches RE2 patterns from raw triple-quoted strings, unanchored like CEL matches()', () => {
    const rule = 'self.matches(r"""^[a-z]+$""")';
    assert.equal(holds(rule, 'abc'), true);
    assert.equal(holds(rule, 'aBc'), false);
    assert.equal(holds("self.matches('b')", 'abc'), true);
  });

  it('makes || and && commutative over errors, as CEL does', () => {
    assert.equal(holds('self.missing == 1 || true', {}), true);
    assert.equal(holds('self.missing == 1 && false', {}), false);
    assert.throws(() => holds('self.missing == 1 || false', {}), /no such key/);
  });

  it('rejects what it does not implement at compile time', () => {
    const result = compileCel('self.exists(x, x.quantity() > 1)');
    assert.equal(result.ok, false);
  });
});
