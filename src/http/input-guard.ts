import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest } from '../domain/errors.ts';

/**
 * How deep a JSON body may nest. Graph bodies Envelope accepts nest at most 4 levels
 * (`assignments[0].target.groupId`); the limit keeps recursive validators and error builders far
 * from the stack's end whatever a client sends.
 */
export const maxJsonDepth = 32;

export interface UnstorableInput {
  /** Graph-style path of the offending value (`assignments[0].target.groupId`, `$filter`, `id`). */
  field: string;
  problem: string;
}

/**
 * The first value in `input` that no database column can hold, or that no valid request contains:
 * a string or property name with a NUL character (PostgreSQL text and jsonb refuse U+0000) or an
 * unpaired UTF-16 surrogate (not Unicode: jsonb refuses it, text would silently store U+FFFD), or
 * nesting deeper than `maxJsonDepth`. Walks iteratively, so any depth is safe to inspect. Fields are
 * named from the top-level property down; `rootName` names the whole input (`body`, `query`, `path`).
 */
export function findUnstorableInput(input: unknown, rootName = 'body'): UnstorableInput | null {
  const pending: { value: unknown; path: string; depth: number }[] = [{ value: input, path: '', depth: 0 }];
  while (pending.length > 0) {
    const { value, path, depth } = pending.pop()!;
    if (typeof value === 'string') {
      const problem = stringProblem(value);
      if (problem) return { field: path || rootName, problem };
      continue;
    }
    // Raw bodies (device plists, SyncML) are bytes their own codecs check, not JSON to walk.
    if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) continue;
    if (depth >= maxJsonDepth) return { field: path || rootName, problem: `nests deeper than ${maxJsonDepth} levels` };
    if (Array.isArray(value)) {
      value.forEach((item, index) => pending.push({ value: item, path: `${path}[${index}]`, depth: depth + 1 }));
      continue;
    }
    for (const [key, item] of Object.entries(value)) {
      const problem = stringProblem(key);
      if (problem) return { field: path || rootName, problem: `has a property name that ${problem}` };
      pending.push({ value: item, path: path ? `${path}.${key}` : key, depth: depth + 1 });
    }
  }
  return null;
}

function stringProblem(text: string): string | null {
  if (text.includes('\u0000')) return 'contains a NUL character (U+0000)';
  if (!text.isWellFormed()) return 'contains an unpaired UTF-16 surrogate (not valid Unicode)';
  return null;
}

/**
 * Refuses, with a 400 naming the field, any request whose path parameters, query values or parsed
 * JSON body hold what `findUnstorableInput` finds. Runs after authentication and body parsing and
 * before schema validation, on every route, so no handler, validator or store ever sees such input.
 */
export function installInputGuard(app: FastifyInstance): void {
  app.addHook('preValidation', async (request: FastifyRequest) => {
    const found = findUnstorableInput(request.params, 'path') ??
      findUnstorableInput(request.query, 'query') ??
      findUnstorableInput(request.body, 'body');
    if (found) throw badRequest(`${found.field} ${found.problem}.`, found.field);
  });
}
