import { filter as compileFilter, parse as parseFilter, type Filter } from 'scim2-parse-filter';
import { scimBadRequest } from './scim-errors.ts';
import { scimSchemas } from './scim-schemas.ts';

/** One PATCH operation (RFC 7644 §3.5.2), normalised: `op` lower-cased, as Entra ID sends `Replace`. */
export interface PatchOperation {
  op: 'add' | 'replace' | 'remove';
  path: string | null;
  value: unknown;
  /** Position in `Operations`, for error messages. */
  index: number;
}

type Json = Record<string, unknown>;

/**
 * Reads a PatchOp body as Entra ID and Okta send it: `op` in any case (`Replace`, `add`), `path`
 * optional, `value` anything. 400 `invalidSyntax` naming `Operations[i].op` (or the body) otherwise.
 */
export function parsePatchRequest(body: unknown): PatchOperation[] {
  if (!isObject(body)) throw scimBadRequest('invalidSyntax', 'The body must be a SCIM PatchOp object.', 'body');
  const schemas = valueOf(body, 'schemas');
  if (schemas !== undefined && !(Array.isArray(schemas) && schemas.includes(scimSchemas.patchOp))) {
    throw scimBadRequest('invalidSyntax', `schemas must contain '${scimSchemas.patchOp}'.`, 'schemas');
  }
  const operations = valueOf(body, 'Operations');
  if (!Array.isArray(operations) || operations.length === 0 || operations.length > 1000) {
    throw scimBadRequest('invalidSyntax', 'Operations must be an array of 1 to 1000 operations.', 'Operations');
  }
  return operations.map((raw, index) => {
    const name = `Operations[${index}]`;
    if (!isObject(raw)) throw scimBadRequest('invalidSyntax', `${name} must be an object.`, name);
    const op = valueOf(raw, 'op');
    const lower = typeof op === 'string' ? op.toLowerCase() : '';
    if (lower !== 'add' && lower !== 'replace' && lower !== 'remove') {
      throw scimBadRequest('invalidSyntax', `${name}.op must be add, replace or remove.`, `${name}.op`);
    }
    const path = valueOf(raw, 'path');
    if (path !== undefined && path !== null && (typeof path !== 'string' || path.trim() === '' || path.length > 512)) {
      throw scimBadRequest('invalidPath', `${name}.path must be a non-empty attribute path.`, `${name}.path`);
    }
    const value = valueOf(raw, 'value');
    if (lower === 'remove' && (path === undefined || path === null)) {
      throw scimBadRequest('noTarget', `${name}: remove needs a path.`, `${name}.path`);
    }
    if (lower !== 'remove' && value === undefined) throw scimBadRequest('invalidValue', `${name}: ${lower} needs a value.`, `${name}.value`);
    return { op: lower, path: typeof path === 'string' ? path.trim() : null, value, index };
  });
}

/**
 * Applies `operations` to a copy of the SCIM resource `resource` and returns it; the caller then
 * validates the result as it would a PUT body, so every bad value is refused the same way. Attribute
 * names match case-insensitively; extension attributes are addressed by their URN prefix
 * (`urn:…:enterprise:2.0:User:department`). Lenient where Entra ID and Okta rely on it: an `add` or
 * `replace` on `emails[type eq "work"].value` creates the work email when there is none; a path
 * without a filter replaces; a `value` object without a path may hold paths as keys (`name.givenName`).
 */
export function applyPatch(resource: Json, operations: readonly PatchOperation[], extensionUrns: readonly string[]): Json {
  const doc = structuredClone(resource);
  for (const operation of operations) {
    if (operation.path !== null) {
      applyAtPath(doc, operation, operation.path, operation.value, extensionUrns);
      continue;
    }
    if (!isObject(operation.value)) {
      throw scimBadRequest('invalidValue', `Operations[${operation.index}].value must be an object when there is no path.`, `Operations[${operation.index}].value`);
    }
    for (const [key, value] of Object.entries(operation.value)) {
      const urn = extensionUrns.find((u) => u.toLowerCase() === key.toLowerCase());
      if (urn && isObject(value)) {
        for (const [sub, subValue] of Object.entries(value)) applyAtPath(doc, operation, `${urn}:${sub}`, subValue, extensionUrns);
      } else {
        applyAtPath(doc, operation, key, value, extensionUrns);
      }
    }
  }
  return doc;
}

interface ParsedPath {
  container: string | null;
  attribute: string;
  filter: Filter | null;
  subAttribute: string | null;
}

const attributePath = /^([A-Za-z$][\w$-]*)(?:\[(.+)\])?(?:\.([A-Za-z$][\w$-]*))?$/s;

/** Splits `[urn:…:]attr[filter][.sub]`; 400 `invalidPath` for anything else. */
export function parsePath(path: string, extensionUrns: readonly string[], field: string): ParsedPath {
  let rest = path;
  let container: string | null = null;
  const lower = path.toLowerCase();
  const urn = [...extensionUrns, scimSchemas.user, scimSchemas.group].find((u) => lower.startsWith(`${u.toLowerCase()}:`));
  const whole = extensionUrns.find((u) => u.toLowerCase() === lower);
  if (whole) return { container: null, attribute: whole, filter: null, subAttribute: null };
  if (urn) {
    rest = path.slice(urn.length + 1);
    container = urn === scimSchemas.user || urn === scimSchemas.group ? null : urn;
  }
  const match = attributePath.exec(rest);
  if (!match) throw scimBadRequest('invalidPath', `${field} '${path}' is not a SCIM attribute path.`, field);
  let filter: Filter | null = null;
  if (match[2] !== undefined) {
    try {
      filter = parseFilter(match[2]);
    } catch {
      throw scimBadRequest('invalidPath', `${field} '${path}' has an invalid value filter.`, field);
    }
  }
  return { container, attribute: match[1]!, filter, subAttribute: match[3] ?? null };
}

function applyAtPath(doc: Json, operation: PatchOperation, path: string, value: unknown, extensionUrns: readonly string[]): void {
  const field = `Operations[${operation.index}].path`;
  const parsed = parsePath(path, extensionUrns, field);
  let target = doc;
  if (parsed.container !== null) {
    const key = keyOf(doc, parsed.container);
    if (!isObject(valueOf(doc, key))) {
      if (operation.op === 'remove') return;
      doc[key] = {};
    }
    target = doc[key] as Json;
  }
  const key = keyOf(target, parsed.attribute);
  if (parsed.filter !== null) {
    applyFiltered(target, key, parsed, operation, value);
    return;
  }
  if (parsed.subAttribute !== null) {
    if (!isObject(valueOf(target, key))) {
      if (operation.op === 'remove') return;
      target[key] = {};
    }
    const parent = target[key] as Json;
    setOrRemove(parent, keyOf(parent, parsed.subAttribute), operation, value);
    return;
  }
  setOrRemove(target, key, operation, value);
}

function setOrRemove(target: Json, key: string, operation: PatchOperation, value: unknown): void {
  const current = valueOf(target, key);
  if (operation.op === 'remove') {
    if (Array.isArray(current) && Array.isArray(value)) {
      target[key] = current.filter((item) => !value.some((v) => sameItem(item, v)));
    } else {
      delete target[key];
    }
    return;
  }
  if (Array.isArray(current) && operation.op === 'add') {
    const added = Array.isArray(value) ? value : [value];
    // RFC 7643 §2.4: at most one value is primary; a new primary value demotes the others.
    const kept = added.some((v) => isObject(v) && valueOf(v, 'primary') === true)
      ? current.map((item) => (isObject(item) && valueOf(item, 'primary') === true ? { ...item, [keyOf(item, 'primary')]: false } : item))
      : current;
    target[key] = [...kept, ...added.filter((v) => !kept.some((item) => sameItem(item, v)))];
  } else if (isObject(current) && isObject(value)) {
    target[key] = { ...current, ...value };
  } else {
    target[key] = value;
  }
}

function applyFiltered(target: Json, key: string, parsed: ParsedPath, operation: PatchOperation, value: unknown): void {
  const field = `Operations[${operation.index}].path`;
  const current = valueOf(target, key) ?? [];
  if (!Array.isArray(current)) throw scimBadRequest('invalidPath', `${field}: '${parsed.attribute}' is not multi-valued.`, field);
  const test = compileFilter(parsed.filter!);
  const matches = current.filter((item) => isObject(item) && test(item));
  if (operation.op === 'remove') {
    if (parsed.subAttribute === null) {
      target[key] = current.filter((item) => !matches.includes(item));
    } else {
      for (const item of matches as Json[]) delete item[keyOf(item, parsed.subAttribute)];
    }
    return;
  }
  if (matches.length === 0) {
    const filter = parsed.filter!;
    if (filter.op !== 'eq' || !('compValue' in filter) || filter.attrPath.includes('.')) {
      throw scimBadRequest('noTarget', `${field}: no value matches the filter.`, field);
    }
    const created: Json = { [filter.attrPath]: filter.compValue };
    current.push(created);
    matches.push(created);
    target[key] = current;
  }
  for (const item of matches as Json[]) {
    if (parsed.subAttribute !== null) {
      item[keyOf(item, parsed.subAttribute)] = value;
    } else if (isObject(value)) {
      Object.assign(item, value);
    } else {
      throw scimBadRequest('invalidValue', `Operations[${operation.index}].value must be an object for a filtered path without a sub-attribute.`, `Operations[${operation.index}].value`);
    }
  }
}

/** Multi-valued items are the same when their `value` sub-attributes are (members, emails), else when equal as JSON. */
function sameItem(a: unknown, b: unknown): boolean {
  if (isObject(a) && isObject(b) && valueOf(a, 'value') !== undefined) {
    return String(valueOf(a, 'value')).toLowerCase() === String(valueOf(b, 'value')).toLowerCase();
  }
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The key of `object` that equals `name` case-insensitively, else `name` itself. */
export function keyOf(object: Json, name: string): string {
  const lower = name.toLowerCase();
  return Object.keys(object).find((k) => k.toLowerCase() === lower) ?? name;
}

/** `object[name]`, matching the key case-insensitively (SCIM attribute names are). */
export function valueOf(object: Json, name: string): unknown {
  const key = keyOf(object, name);
  return Object.hasOwn(object, key) ? object[key] : undefined;
}

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
