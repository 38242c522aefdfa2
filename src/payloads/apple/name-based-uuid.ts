/**
 * Name-based UUIDs moved to the domain (delivery derives command ids and account GUIDs with them, and
 * the domain imports nothing from payloads). Re-exported here so the Apple compilers keep their import.
 */
export { nameBasedUuid, uuidBytes } from '../../domain/name-based-uuid.ts';
