import { badRequest } from '../errors.ts';
import type { RolloutRing } from './rollout-rings.ts';

/** A validated request to start a staged rollout; the change body is validated by the real action. */
export interface RolloutRequest {
  /** `assign`: a Graph assign body (the whole set replaced); `update`: a Graph PATCH body. */
  change: { kind: 'assign' | 'update'; body: unknown };
  rings: RolloutRing[];
  errorThresholdPercent: number;
  soakMinutes: number;
  autoAdvance: boolean;
}

export const maxRings = 10;
export const maxRingGroups = 50;
/** A week: a longer soak is a manual rollout (autoAdvance false). */
export const maxSoakMinutes = 7 * 24 * 60;
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const allowed = new Set(['assign', 'update', 'rings', 'errorThresholdPercent', 'soakMinutes', 'autoAdvance']);

/**
 * Validates a start-rollout body (400 naming the field; nothing is read or written):
 * exactly one of `assign` / `update`; `rings` 1–10, each `{ percent }` (0.01–100, in 0.01 steps,
 * increasing from ring to ring) or `{ groupIds }` (1–50 uuids), the last `{ percent: 100 }` so that
 * a finished rollout reaches everyone; `errorThresholdPercent` 0–100 (default 5); `soakMinutes`
 * 0–10080 (default 60; fractions allowed); `autoAdvance` (default true).
 */
export function parseRolloutRequest(body: unknown): RolloutRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('The body must be a JSON object.');
  const input = body as Record<string, unknown>;
  for (const key of Object.keys(input)) if (!allowed.has(key)) throw badRequest(`Unknown property '${key}'.`, key);
  const kinds = (['assign', 'update'] as const).filter((kind) => input[kind] !== undefined);
  if (kinds.length !== 1) throw badRequest("Give exactly one change: 'assign' (an assign body) or 'update' (a PATCH body).", 'assign');
  const kind = kinds[0]!;
  if (typeof input[kind] !== 'object' || input[kind] === null || Array.isArray(input[kind])) throw badRequest(`'${kind}' must be an object.`, kind);
  return {
    change: { kind, body: input[kind] },
    rings: parseRings(input.rings),
    errorThresholdPercent: numberIn(input.errorThresholdPercent, 'errorThresholdPercent', 0, 100, 5),
    soakMinutes: numberIn(input.soakMinutes, 'soakMinutes', 0, maxSoakMinutes, 60),
    autoAdvance: input.autoAdvance === undefined ? true : booleanOrThrow(input.autoAdvance, 'autoAdvance'),
  };
}

function parseRings(value: unknown): RolloutRing[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > maxRings) throw badRequest(`rings must be an array of 1–${maxRings} rings.`, 'rings');
  let lastPercent = 0;
  const rings = value.map((ring: unknown, index): RolloutRing => {
    const field = `rings[${index}]`;
    if (typeof ring !== 'object' || ring === null || Array.isArray(ring)) throw badRequest(`${field} must be an object.`, field);
    const entry = ring as Record<string, unknown>;
    const keys = Object.keys(entry);
    if (keys.length !== 1 || !(keys[0] === 'percent' || keys[0] === 'groupIds')) throw badRequest(`${field} must have exactly one of 'percent' or 'groupIds'.`, field);
    if (keys[0] === 'percent') {
      const percent = entry.percent;
      if (typeof percent !== 'number' || !Number.isFinite(percent) || percent < 0.01 || percent > 100 || Math.abs(percent * 100 - Math.round(percent * 100)) > 1e-9) {
        throw badRequest(`${field}.percent must be a number from 0.01 to 100 in steps of 0.01.`, `${field}.percent`);
      }
      if (percent <= lastPercent) throw badRequest(`${field}.percent must be larger than the ring before (${lastPercent}).`, `${field}.percent`);
      lastPercent = percent;
      return { percent };
    }
    const groupIds = entry.groupIds;
    if (!Array.isArray(groupIds) || groupIds.length === 0 || groupIds.length > maxRingGroups) {
      throw badRequest(`${field}.groupIds must be an array of 1–${maxRingGroups} group ids.`, `${field}.groupIds`);
    }
    groupIds.forEach((id: unknown, at) => {
      if (typeof id !== 'string' || !uuidPattern.test(id)) throw badRequest(`${field}.groupIds[${at}] must be a group id (uuid).`, `${field}.groupIds[${at}]`);
    });
    return { groupIds: [...new Set((groupIds as string[]).map((id) => id.toLowerCase()))] };
  });
  const last = rings[rings.length - 1]!;
  if (!('percent' in last) || last.percent !== 100) {
    throw badRequest('The last ring must be { "percent": 100 } (everyone), so that a finished rollout reaches every device.', `rings[${rings.length - 1}]`);
  }
  return rings;
}

function numberIn(value: unknown, field: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) throw badRequest(`${field} must be a number from ${min} to ${max}.`, field);
  return value;
}

function booleanOrThrow(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') throw badRequest(`${field} must be true or false.`, field);
  return value;
}

/** The stop body: nothing, `{}` or `{ "rollBack": boolean }` (400 naming the field otherwise). */
export function parseStopRequest(body: unknown): { rollBack: boolean } {
  if (body === undefined || body === null) return { rollBack: false };
  if (typeof body !== 'object' || Array.isArray(body)) throw badRequest('The body must be a JSON object.');
  const input = body as Record<string, unknown>;
  for (const key of Object.keys(input)) if (key !== 'rollBack') throw badRequest(`Unknown property '${key}'.`, key);
  return { rollBack: input.rollBack === undefined ? false : booleanOrThrow(input.rollBack, 'rollBack') };
}
