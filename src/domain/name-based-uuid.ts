import { hash } from 'node:crypto';

/**
 * Name-based UUIDs, version 5 (SHA-1), per RFC 9562 §5.5: the same namespace and name always give
 * the same UUID, different names practically never collide. Envelope derives every `PayloadUUID`
 * this way so that a re-render is byte-identical and a device recognises a payload it already has,
 * and delivery derives its command ids and account GUIDs this way so a re-run reconcile repeats them.
 * Pure (hashing only, no I/O), hence in the domain.
 *
 * `name` is a list of components, not a string, so `['a.b', 'c']` and `['a', 'b.c']` differ: the
 * components are length-prefixed (in UTF-16 code units) before hashing. Output is upper-case, as Apple's tools write it.
 */
export function nameBasedUuid(namespace: Uint8Array, name: readonly string[]): string {
  let encodedName = '';
  for (const component of name) encodedName += `${component.length}:${component}`;
  // One-shot hashing: several times faster than a Hash object for the many small names per render.
  const bytes = hash('sha1', Buffer.concat([namespace, Buffer.from(encodedName)]), 'buffer');
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x50; // version 5
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80; // RFC 9562 variant
  const hex = bytes.toString('hex', 0, 16).toUpperCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The 16 bytes of a textual UUID; throws `TypeError` for anything else (a configuration bug). */
export function uuidBytes(uuid: string): Uint8Array {
  if (!uuidPattern.test(uuid)) throw new TypeError(`not a UUID: ${uuid}`);
  return Buffer.from(uuid.replaceAll('-', ''), 'hex');
}
