import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CommandAnswer } from './sent-units.ts';
import { pfnWriteNeeded, pfnWriteUnit, sessionReads } from './session-reads.ts';

const pfn = 'Contoso.EnvelopePush_8wekyb3d8bbwe';
const results = (data: string, code: number | null = 200): CommandAnswer => ({ code, data, hasResults: true });
const status = (code: number): CommandAnswer => ({ code, data: null, hasResults: false });

describe('sessionReads', () => {
  it('reads the ChannelURI and the build, and the PFN only when the tenant has one', () => {
    const without = sessionReads(5, null);
    assert.deepEqual(without.commands.map((c) => [c.CmdID, c.command, 'LocURI' in c ? c.LocURI : '']), [
      [5, 'Get', './Vendor/MSFT/DMClient/Provider/Envelope/Push/ChannelURI'],
      [6, 'Get', './DevDetail/SwV'],
    ]);
    assert.deepEqual(without.unit.detail, { reads: [{ cmdId: 5, what: 'channelUri' }, { cmdId: 6, what: 'softwareVersion' }] });
    const withPfn = sessionReads(5, pfn);
    assert.deepEqual(withPfn.commands.map((c) => [c.CmdID, 'LocURI' in c ? c.LocURI : '']).at(-1), [7, './Vendor/MSFT/DMClient/Provider/Envelope/Push/PFN']);
    assert.deepEqual(withPfn.unit.detail, { reads: [{ cmdId: 5, what: 'channelUri' }, { cmdId: 6, what: 'softwareVersion' }, { cmdId: 7, what: 'pfn' }], pfn });
  });
});

describe('pfnWriteNeeded', () => {
  it('adds a PFN the PC does not have, replaces another or an empty one, leaves the same one alone', () => {
    assert.equal(pfnWriteNeeded(status(404), pfn), 'Add');
    assert.equal(pfnWriteNeeded(results('Other.App_8wekyb3d8bbwe'), pfn), 'Replace');
    assert.equal(pfnWriteNeeded(results(''), pfn), 'Replace');
    assert.equal(pfnWriteNeeded(results(` ${pfn}\n`), pfn), null);
    assert.equal(pfnWriteNeeded(results(pfn, null), pfn), null, 'Results without a Status');
  });

  it('writes nothing while the Get is unanswered or failed for another reason', () => {
    assert.equal(pfnWriteNeeded(undefined, pfn), null);
    for (const code of [405, 500, 401]) assert.equal(pfnWriteNeeded(status(code), pfn), null, `code ${code}`);
  });
});

describe('pfnWriteUnit', () => {
  it('writes the PFN as chr, then reads the ChannelURI again', () => {
    const unit = pfnWriteUnit(pfn, 'Add', 12);
    assert.deepEqual(unit.commands, [
      { command: 'Add', CmdID: 12, LocURI: './Vendor/MSFT/DMClient/Provider/Envelope/Push/PFN', Format: 'chr', Data: pfn },
      { command: 'Get', CmdID: 13, LocURI: './Vendor/MSFT/DMClient/Provider/Envelope/Push/ChannelURI' },
    ]);
    assert.deepEqual(unit.unit, { purpose: 'read', commandId: null, profileId: null, detail: { reads: [{ cmdId: 13, what: 'channelUri' }], pfn, pfnWrite: { cmdId: 12, verb: 'Add' } } });
    assert.equal(pfnWriteUnit(pfn, 'Replace', 3).commands[0]!.command, 'Replace');
  });
});
