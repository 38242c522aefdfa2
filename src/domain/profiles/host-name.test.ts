import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hostNameProblem, isDomainName } from './host-name.ts';

describe('hostNameProblem', () => {
  it('accepts host names, IPv4 and bracketed IPv6 literals', () => {
    for (const host of ['outlook.office365.com', 'mail', 'MAIL.Contoso.com', 'a-b.c-d.example', '192.0.2.1', '[2001:db8::1]', '[::1]']) {
      assert.equal(hostNameProblem(host, { allowPort: false }), null, host);
    }
  });

  it('accepts host:port only when ports are allowed', () => {
    for (const host of ['mail.contoso.com:443', '192.0.2.1:8443', '[2001:db8::1]:443']) {
      assert.equal(hostNameProblem(host, { allowPort: true }), null, host);
      assert.match(hostNameProblem(host, { allowPort: false }) ?? '', /port/, host);
    }
  });

  it('explains what is wrong with URLs, paths, user info, spaces and malformed literals', () => {
    const cases: [string, RegExp][] = [
      ['https://mail.contoso.com', /not a URL/],
      ['mail.contoso.com/owa', /path/],
      ['mail.contoso.com?x=1', /path or query/],
      ['user@mail.contoso.com', /email address/],
      ['mail .contoso.com', /spaces/],
      ['2001:db8::1', /brackets/],
      ['[2001:db8::zz]', /invalid IPv6/],
      ['[2001:db8::1', /unterminated/],
      ['mail.contoso.com:0', /1 to 65535/],
      ['999.1.1.1', /host name/],
      ['-mail.contoso.com', /host name/],
      ['mail..contoso.com', /host name/],
      ['', /host name/],
    ];
    for (const [host, reason] of cases) assert.match(hostNameProblem(host, { allowPort: true }) ?? 'accepted', reason, host);
  });
});

describe('isDomainName', () => {
  it('accepts DNS and NetBIOS-style names and refuses anything else', () => {
    assert.equal(isDomainName('contoso.com'), true);
    assert.equal(isDomainName('CONTOSO'), true);
    assert.equal(isDomainName('contoso com'), false);
    assert.equal(isDomainName('contoso.com.'), false);
    assert.equal(isDomainName('contoso_corp'), false);
  });
});
