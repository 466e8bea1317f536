import { parsePayloadFilter, payloadMatches, PayloadFilter } from './payload-filter';

const ok = (rule: unknown): PayloadFilter => {
  const parsed = parsePayloadFilter(rule);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.filter;
};

describe('payloadMatches', () => {
  const paid = {
    type: 'invoice.paid',
    data: { amount: 150, currency: 'EUR', items: [{ sku: 'a' }, { sku: 'b' }] },
  };

  it.each([
    ['equality on a nested field', { '==': [{ var: 'data.currency' }, 'EUR'] }, true],
    ['a comparison that fails', { '>': [{ var: 'data.amount' }, 1000] }, false],
    [
      'and/or',
      { or: [{ '<': [{ var: 'data.amount' }, 10] }, { in: ['EU', { var: 'data.currency' }] }] },
      true,
    ],
    ['some over an array', { some: [{ var: 'data.items' }, { '==': [{ var: 'sku' }, 'b'] }] }, true],
    ['a missing field', { '==': [{ var: 'data.customer.id' }, 'c_1'] }, false],
    ['missing: true when the field is absent', { missing: ['data.customer'] }, true],
    ['an absent field is false', { var: 'data.none' }, false],
  ])('%s', (_name, rule, expected) => {
    expect(payloadMatches(ok(rule), paid)).toBe(expected);
  });

  it('is false, not a throw, when the rule fails on this payload', () => {
    expect(payloadMatches(ok({ '/': [1, { var: 'data.currency' }] }), paid)).toBe(false);
    expect(payloadMatches(ok({ '==': [{ var: 'a.b' }, 1] }), 'not an object')).toBe(false);
    expect(payloadMatches(ok({ '==': [{ var: 'a' }, 1] }), null)).toBe(false);
  });
});

describe('parsePayloadFilter', () => {
  it.each([
    ['a string', 'data.amount > 5', 'must be a JSONLogic rule'],
    ['an array', [{ '==': [1, 1] }], 'must be a JSONLogic rule'],
    [
      'an unknown operator',
      { and: [{ regex: ['a', 'b'] }] },
      'unknown or unsupported operator "regex" at and[0]',
    ],
    ['log', { log: 'x' }, '"log"'],
    ['two operators in one object', { '==': [1, 1], '!=': [1, 2] }, 'exactly one operator'],
    [
      'nested iteration',
      { some: [{ var: 'a' }, { all: [{ var: 'b' }, { '==': [1, 1] }] }] },
      'iterations may not be nested',
    ],
    ['a prototype path', { '==': [{ var: 'a.__proto__.x' }, 1] }, 'not payload data'],
    ['a constructor path', { missing: ['constructor'] }, 'not payload data'],
    ['a huge rule', { in: ['x', 'y'.repeat(5000)] }, 'at most 4096 bytes'],
  ])('refuses %s', (_name, rule, reason) => {
    const parsed = parsePayloadFilter(rule);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.reason).toContain(reason);
  });

  it('refuses a rule nested deeper than the limit', () => {
    let rule: unknown = { var: 'a' };
    for (let i = 0; i < 20; i++) rule = { '!': [rule] };
    const parsed = parsePayloadFilter(rule);
    expect(!parsed.ok && parsed.reason).toContain('nests deeper than 16 levels');
  });
});
