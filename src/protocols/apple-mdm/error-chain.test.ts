import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyCommandError, renderErrorChain, type ErrorChainItem } from './error-chain.ts';

const item = (ErrorDomain: string, ErrorCode: number, USEnglishDescription?: string): ErrorChainItem => ({
  ErrorDomain,
  ErrorCode,
  LocalizedDescription: `localized ${ErrorCode}`,
  ...(USEnglishDescription === undefined ? {} : { USEnglishDescription }),
});

describe('renderErrorChain', () => {
  it('renders one "Domain (code): description" line per item, preferring the US-English description', () => {
    const chain = [item('MCInstallationErrorDomain', 4001, 'Profile Installation Failed'), item('MCEASErrorDomain', 21005)];
    assert.equal(renderErrorChain(chain), 'MCInstallationErrorDomain (4001): Profile Installation Failed\nMCEASErrorDomain (21005): localized 21005');
    assert.equal(renderErrorChain([]), '');
  });
});

describe('classifyCommandError', () => {
  it('recognises the duplicate Exchange account wherever 21005 sits in the chain', () => {
    const wrapped = [item('MCInstallationErrorDomain', 4001), item('MCEASErrorDomain', 21005)];
    assert.deepEqual(classifyCommandError('Error', wrapped), { kind: 'duplicate-account', retryable: false, cause: wrapped[1] });
    assert.equal(classifyCommandError('Error', [item('MCEASErrorDomain', 21005)]).kind, 'duplicate-account');
  });

  it('does not take 21005 from another domain for a duplicate account', () => {
    assert.deepEqual(classifyCommandError('Error', [item('MCInstallationErrorDomain', 21005)]), { kind: 'other', retryable: true });
  });

  it('treats a duplicate profile UUID and CommandFormatError as terminal', () => {
    assert.equal(classifyCommandError('Error', [item('MCInstallationErrorDomain', 4002)]).kind, 'duplicate-profile-uuid');
    assert.equal(classifyCommandError('Error', [item('MCInstallationErrorDomain', 4002)]).retryable, false);
    assert.deepEqual(classifyCommandError('CommandFormatError'), { kind: 'command-format', retryable: false });
    assert.equal(classifyCommandError('CommandFormatError', [item('MCEASErrorDomain', 21005)]).kind, 'command-format');
  });

  it('prefers the duplicate account over a duplicate UUID when a chain holds both', () => {
    assert.equal(classifyCommandError('Error', [item('MCInstallationErrorDomain', 4002), item('MCEASErrorDomain', 21005)]).kind, 'duplicate-account');
  });

  it('recognises a profile that is not installed (the goal of a RemoveProfile)', () => {
    assert.equal(classifyCommandError('Error', [item('MCMDMErrorDomain', 12075)]).kind, 'profile-not-installed');
    assert.equal(classifyCommandError('Error', [item('MCInstallationErrorDomain', 4024)]).kind, 'profile-not-installed');
  });

  it('leaves other errors, and an Error without a chain, retryable', () => {
    assert.deepEqual(classifyCommandError('Error', [item('MCInstallationErrorDomain', 4001), item('MCEASErrorDomain', 21003)]), { kind: 'other', retryable: true });
    assert.deepEqual(classifyCommandError('Error'), { kind: 'other', retryable: true });
  });
});
