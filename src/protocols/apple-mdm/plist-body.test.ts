import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import * as plist from 'plist';
import { MdmDecodeError, type MdmDecodeErrorCode } from './mdm-decode-error.ts';
import { defaultPlistBodyLimits, readPlistBody, writePlistBody } from './plist-body.ts';

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const doc = (inner: string): string =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n<plist version="1.0">\n${inner}\n</plist>\n`;

function refuses(body: Uint8Array | string, code: MdmDecodeErrorCode, limits = defaultPlistBodyLimits): void {
  assert.throws(
    () => readPlistBody(typeof body === 'string' ? utf8(body) : body, limits),
    (error: unknown) => error instanceof MdmDecodeError && error.code === code,
    `expected ${code}`,
  );
}

/** Runs `action` with console output captured, and returns what was written. */
function consoleOutput(action: () => void): string[] {
  const written: string[] = [];
  const saved = { error: console.error, warn: console.warn, log: console.log, info: console.info };
  const capture = (...args: unknown[]): void => void written.push(args.map(String).join(' '));
  Object.assign(console, { error: capture, warn: capture, log: capture, info: capture });
  try {
    action();
  } finally {
    Object.assign(console, saved);
  }
  return written;
}

describe('readPlistBody', () => {
  it('reads an XML property list as devices write it: tabs, wrapped base64, booleans, integers', () => {
    const body = doc('<dict>\n\t<key>Token</key>\n\t<data>\n\tAAEC\n\tAwQ=\n\t</data>\n\t<key>On</key>\n\t<true/>\n\t<key>N</key>\n\t<integer>42</integer>\n\t<key>S</key>\n\t<string>a &amp; b &#x263A;</string>\n</dict>');
    assert.deepEqual(readPlistBody(utf8(body)), { Token: new Uint8Array([0, 1, 2, 3, 4]), On: true, N: 42, S: 'a & b \u263A' });
  });

  it('refuses empty and oversized bodies before parsing them', () => {
    refuses(new Uint8Array(), 'empty-body');
    refuses(doc('<dict/>'), 'body-too-large', { maxBytes: 100, maxDepth: 32 });
  });

  it('refuses binary property lists and bytes that are not UTF-8', () => {
    refuses(plist.buildBinary({ MessageType: 'Authenticate' }), 'binary-plist');
    refuses(new Uint8Array([...utf8(doc('<dict><key>A</key><string>')), 0xff, 0xfe, ...utf8('</string></dict>')]), 'malformed-plist');
  });

  it('refuses XML that is not well-formed, without writing to the console', () => {
    const cases = [
      '<plist><dict><key>A</key><string>x</string></plist>',
      '<plist><dict><key>A</key><string>x</stri></dict></plist>',
      '<plist><dict/></plist><plist><dict/></plist>',
      'junk<plist><dict/></plist>',
      '<plist><dict/></plist>junk',
      '<plist><dict><key>A</key><string>&foo;</string></dict></plist>',
      '<plist><dict><key>A</key><string>a & b</string></dict></plist>',
      '<plist version=1.0><dict/></plist>',
      '<plist version="1.0" version="1.0"><dict/></plist>',
      '<plist><dict><key>A</key><string>x</string></dict>',
      '<plist><dict><!-- unterminated </dict></plist>',
      '<?xml version="1.0"?><!DOCTYPE plist [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><plist><dict><key>A</key><string>&b;</string></dict></plist>',
      '<plist><dict><key>__proto__</key><dict><key>UDID</key><string>x</string></dict></dict></plist>',
      '<plist><dict><key>A</key><data>!!!!</data></dict></plist>',
      '<plist><dict><key>A</key><unknown/></dict></plist>',
      'not xml at all',
      '<?xml version="1.0" encoding="UTF-16"?><plist><dict/></plist>',
      '<?xml-stylesheet href="x"?><plist><dict/></plist>',
      '<plist><?php echo 1 ?><dict/></plist>',
      '{ "json": true }',
    ];
    const output = consoleOutput(() => {
      for (const body of cases) refuses(body, 'malformed-plist');
    });
    assert.deepEqual(output, []);
  });

  it('refuses nesting deeper than the limit, quickly, and accepts nesting at the limit', () => {
    const nested = (depth: number): string => '<plist>' + '<array>'.repeat(depth - 2) + '<dict/>' + '</array>'.repeat(depth - 2) + '</plist>';
    const started = performance.now();
    refuses(nested(60_000), 'too-deep');
    assert.ok(performance.now() - started < 1000, 'the depth check is linear');
    refuses(nested(33), 'too-deep');
    assert.throws(() => readPlistBody(utf8(nested(32))), (error: unknown) => error instanceof MdmDecodeError && error.code === 'not-a-dictionary');
  });

  it('is not fooled by markup inside comments, CDATA sections and attribute values', () => {
    const body = doc('<!-- </plist><plist> --><dict><key>A</key><string><![CDATA[</string></dict><dict>]]></string><!-- <array> --></dict>');
    assert.deepEqual(readPlistBody(utf8(body)), { A: '</string></dict><dict>' });
    // '/>' inside an attribute value does not make an element empty.
    refuses('<plist>' + '<array a="/>">'.repeat(40) + '</array>'.repeat(40) + '</plist>', 'too-deep');
  });

  it('refuses a property list whose root value is not a dictionary', () => {
    refuses(doc('<array><dict/></array>'), 'not-a-dictionary');
    refuses(doc('<dict/><dict/>'), 'not-a-dictionary');
    refuses(doc('<string>x</string>'), 'not-a-dictionary');
    refuses('<plist></plist>', 'not-a-dictionary');
  });

  it('throws only MdmDecodeError for arbitrary bytes and for damaged documents', () => {
    const valid = doc('<dict><key>MessageType</key><string>TokenUpdate</string><key>Token</key><data>AAEC</data><key>L</key><array><integer>1</integer><true/></array></dict>');
    const markup = fc.array(fc.constantFrom('<', '>', '&', '/', '!', '?', '"', "'", ':', '[', ']', '-', ';', '#', '=', 'x', ' ', 'plist', 'dict', 'key'), { maxLength: 8 }).map((parts) => parts.join(''));
    const onlyDecodeErrors = (body: Uint8Array): boolean => {
      try {
        readPlistBody(body);
        return true;
      } catch (error) {
        return error instanceof MdmDecodeError;
      }
    };
    const output = consoleOutput(() => {
      fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), onlyDecodeErrors), { numRuns: 300 });
      fc.assert(
        fc.property(fc.nat(valid.length - 1), fc.nat(20), fc.oneof(fc.string({ maxLength: 8 }), markup), (at, cut, insert) => onlyDecodeErrors(utf8(valid.slice(0, at) + insert + valid.slice(at + cut)))),
        { numRuns: Number(process.env.FUZZ_RUNS ?? 1000) },
      );
    });
    assert.deepEqual(output, []);
  });
});

describe('writePlistBody', () => {
  it('writes an XML property list that reads back to the same values, escaping markup characters', () => {
    const value = { S: 'a & <b> "c" \u00e9\u263A', N: 7, T: true, F: false, D: new Uint8Array([0, 255, 16]), L: [{ K: 'v' }, 'x'] };
    const bytes = writePlistBody(value);
    assert.match(new TextDecoder().decode(bytes), /^<\?xml version="1.0" encoding="UTF-8"\?>\n<!DOCTYPE plist/);
    assert.deepEqual(readPlistBody(bytes), value);
  });

  it('leaves out undefined entries', () => {
    assert.deepEqual(readPlistBody(writePlistBody({ A: 'a', B: undefined })), { A: 'a' });
  });
});
