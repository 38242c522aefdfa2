import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { easServiceFlags } from './graph-enums.ts';
import { canonicalFlags, flagNames, flagsPattern, unknownFlagNames } from './graph-flags.ts';

describe('Graph flags enums', () => {
  it('canonicalise to member order without duplicates, dropping none when other flags are set', () => {
    assert.equal(canonicalFlags('reminders, email ,calendars,email', easServiceFlags), 'calendars,email,reminders');
    assert.equal(canonicalFlags('none,contacts', easServiceFlags), 'contacts');
    assert.equal(canonicalFlags(' none ', easServiceFlags), 'none');
  });

  it('name the unknown members', () => {
    assert.deepEqual(unknownFlagNames('email, tasks,Calendars', easServiceFlags), ['tasks', 'Calendars']);
    assert.deepEqual(unknownFlagNames('email,,contacts', easServiceFlags), ['']);
  });

  it('list the set members of a value, none meaning no member', () => {
    assert.deepEqual(flagNames('contacts,email', easServiceFlags), ['contacts', 'email']);
    assert.deepEqual(flagNames('none', easServiceFlags), []);
  });

  it('match comma-separated member lists with optional spaces and nothing else', () => {
    const pattern = new RegExp(flagsPattern(easServiceFlags));
    for (const ok of ['email', 'email,contacts', ' email , contacts ']) assert.match(ok, pattern);
    for (const bad of ['', 'email,', 'emails', 'email;contacts']) assert.doesNotMatch(bad, pattern);
  });
});
