import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import * as plist from 'plist';
import { buildPlistXml, serializePlistFragment, type PlistDict, type PlistValue } from './plist-xml.ts';
import { xmlSafeString } from './test-support/ios-profile-arbitraries.ts';

describe('buildPlistXml', () => {
  it('writes the Apple plist prologue and one root value', () => {
    const xml = buildPlistXml({ a: 'b' });
    assert.ok(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN"'));
    assert.ok(xml.endsWith('<dict>\n\t<key>a</key>\n\t<string>b</string>\n</dict>\n</plist>\n'));
  });

  it('escapes markup characters in keys and strings, and keeps carriage returns', () => {
    const value = { 'a<&>b': 'x & y < z > w\r\n"quoted" \'single\'' };
    const xml = buildPlistXml(value);
    assert.ok(xml.includes('<key>a&lt;&amp;&gt;b</key>'));
    assert.ok(xml.includes('<string>x &amp; y &lt; z &gt; w&#13;\n"quoted" \'single\'</string>'));
    assert.deepEqual(plist.parse(xml), value);
  });

  it('writes NEL and the Unicode line separators as character references, which no parser rewrites to LF', () => {
    const value = { s: 'a\u0085b\u2028c\u2029d' };
    const xml = buildPlistXml(value);
    assert.ok(xml.includes('<string>a&#x85;b&#x2028;c&#x2029;d</string>'));
    assert.deepEqual(plist.parse(xml), value);
  });

  it('maps integers, reals, booleans, data, dates, empty containers', () => {
    const value = { i: -42, r: 1.5, t: true, f: false, d: new Uint8Array([0, 1, 254, 255]), date: new Date('2025-03-04T05:06:07.890Z'), a: [], o: {} };
    const xml = buildPlistXml(value);
    for (const fragment of ['<integer>-42</integer>', '<real>1.5</real>', '<true/>', '<false/>', '<data>AAH+/w==</data>', '<date>2025-03-04T05:06:07Z</date>', '<array/>', '<dict/>']) {
      assert.ok(xml.includes(fragment), fragment);
    }
    assert.deepEqual(plist.parse(xml), { ...value, date: new Date('2025-03-04T05:06:07Z') });
  });

  it('omits dictionary entries whose value is undefined, keeping insertion order', () => {
    const xml = buildPlistXml({ z: 1, skipped: undefined, a: 2 });
    assert.ok(xml.includes('<key>z</key>\n\t<integer>1</integer>\n\t<key>a</key>'));
    assert.ok(!xml.includes('skipped'));
  });

  it('encodes a Uint8Array view over a larger buffer by its own bytes only', () => {
    const backing = new Uint8Array([9, 9, 1, 2, 3, 9]);
    assert.ok(buildPlistXml(backing.subarray(2, 5)).includes('<data>AQID</data>'));
  });

  it('refuses values an XML plist cannot carry instead of writing a broken document', () => {
    for (const bad of ['bell\u0007', 'nul\u0000', 'lone \uD800 surrogate', '\uFFFF']) {
      assert.throws(() => buildPlistXml({ s: bad }), TypeError, JSON.stringify(bad));
      assert.throws(() => buildPlistXml({ [bad]: 's' }), TypeError);
    }
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) assert.throws(() => buildPlistXml({ n: bad }), TypeError);
    assert.throws(() => buildPlistXml({ d: new Date(Number.NaN) }), TypeError);
    assert.throws(() => buildPlistXml({ n: null } as unknown as PlistDict), TypeError);
    assert.throws(() => buildPlistXml([undefined] as unknown as PlistValue), TypeError);
  });

  it('splices a pre-rendered fragment only at the depth it was rendered for', () => {
    const fragment = serializePlistFragment([{ k: 'v' }], 1);
    assert.deepEqual(plist.parse(buildPlistXml({ content: fragment })), { content: [{ k: 'v' }] });
    assert.throws(() => buildPlistXml({ nested: { content: fragment } }), TypeError);
  });

  it('treats a look-alike object as a dictionary, never as raw XML', () => {
    const forged = { xml: '<evil/>', depth: 1 };
    assert.deepEqual(plist.parse(buildPlistXml({ content: forged })), { content: { xml: '<evil/>', depth: 1 } });
  });

  it('round-trips arbitrary plist values through the plist package', () => {
    fc.assert(
      fc.property(plistValue(), (value) => {
        assert.deepEqual(plist.parse(buildPlistXml(value)), value);
      }),
      { numRuns: 300 },
    );
  });
});

function plistValue(): fc.Arbitrary<PlistValue> {
  const { value } = fc.letrec<{ value: PlistValue }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      xmlSafeString(),
      fc.maxSafeInteger(),
      fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Number.isInteger(n)),
      fc.boolean(),
      fc.uint8Array({ maxLength: 64 }),
      fc.date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2200-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => new Date(Math.floor(d.getTime() / 1000) * 1000)),
      fc.array(tie('value'), { maxLength: 4 }),
      fc.dictionary(xmlSafeString().filter((k) => k !== '__proto__'), tie('value'), { maxKeys: 4, noNullPrototype: true }),
    ),
  }));
  return value;
}
