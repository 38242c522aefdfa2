/**
 * SCIM's `attributes` and `excludedAttributes` (RFC 7644 §3.4.2.5 and §3.9) on a resource as
 * Envelope answers it. Names are case-insensitive (RFC 7643 §2.1), comma-separated, and may be
 * `attr`, `attr.subAttr`, or qualified by a schema URN (`urn:…:core:2.0:User:userName`, an
 * extension's `urn:…:enterprise:2.0:User:employeeNumber`, or the extension's URN alone for all of
 * it). `id` and `schemas` are returned always (`returned: always`), whatever either list says.
 * `attributes` replaces the default set with those named; `excludedAttributes` removes those named
 * from it. A name the resource does not have selects or removes nothing: it is ignored (a client
 * may ask for attributes some resources lack, e.g. an extension only some users carry).
 */
export interface AttributeSelection {
  attributes?: string | undefined;
  excludedAttributes?: string | undefined;
}

const alwaysReturned = new Set(['id', 'schemas']);

interface AttributePath {
  /** The extension's key in the resource, or null for a core attribute. */
  extension: string | null;
  /** Null with an extension: the whole extension. */
  attribute: string | null;
  sub: string | null;
}

function names(list: string | undefined): string[] {
  return (list ?? '').split(',').map((n) => n.trim()).filter((n) => n.length > 0);
}

/** True when the selection asks for nothing or keeps `attribute` (a core, top-level attribute). */
export function returnsAttribute(selection: AttributeSelection, attribute: string): boolean {
  const wanted = attribute.toLowerCase();
  const lastSegment = (n: string) => n.toLowerCase().split(':').pop()!.split('.')[0];
  if (names(selection.excludedAttributes).some((n) => lastSegment(n) === wanted)) return false;
  const requested = names(selection.attributes);
  return requested.length === 0 || requested.some((n) => lastSegment(n) === wanted);
}

/** The resource as the selection asks; the same object when it asks for nothing. */
export function selectAttributes<T extends Record<string, unknown>>(resource: T, selection: AttributeSelection): Record<string, unknown> {
  const requested = names(selection.attributes);
  const excluded = names(selection.excludedAttributes);
  if (requested.length === 0 && excluded.length === 0) return resource;
  let out: Record<string, unknown>;
  if (requested.length > 0) {
    out = {};
    for (const key of Object.keys(resource)) if (alwaysReturned.has(key)) out[key] = resource[key];
    for (const name of requested) {
      const path = parsePath(resource, name);
      if (path) copyPath(resource, out, path);
    }
    out = orderedLike(resource, out);
  } else {
    out = { ...resource };
  }
  for (const name of excluded) {
    const path = parsePath(resource, name);
    if (path) removePath(out, path);
  }
  return out;
}

/** Locates `name` in the resource's schemas; null when it names nothing the resource could hold. */
function parsePath(resource: Record<string, unknown>, name: string): AttributePath | null {
  const lower = name.toLowerCase();
  const schemas = Array.isArray(resource.schemas) ? resource.schemas.filter((s): s is string => typeof s === 'string') : [];
  // The longest schema URN that prefixes the name: a core schema qualifies a top-level attribute,
  // an extension's URN is its object's key.
  const schema = schemas
    .filter((s) => lower === s.toLowerCase() || lower.startsWith(`${s.toLowerCase()}:`))
    .sort((a, b) => b.length - a.length)[0];
  let extension: string | null = null;
  let rest = name;
  if (schema) {
    rest = name.slice(schema.length + 1);
    const key = Object.keys(resource).find((k) => k.toLowerCase() === schema.toLowerCase());
    if (key) extension = key;
    else if (!/:core:2\.0:/i.test(schema)) return null;
    if (extension && rest === '') return { extension, attribute: null, sub: null };
  } else if (lower.startsWith('urn:')) {
    return null;
  }
  const [attribute, sub, ...more] = rest.split('.');
  if (!attribute || more.length > 0) return null;
  const holder = extension ? resource[extension] : resource;
  if (!isObject(holder)) return null;
  const key = Object.keys(holder).find((k) => k.toLowerCase() === attribute.toLowerCase());
  if (!key) return null;
  return { extension, attribute: key, sub: sub ?? null };
}

function copyPath(from: Record<string, unknown>, to: Record<string, unknown>, path: AttributePath): void {
  if (path.extension && path.attribute === null) {
    to[path.extension] = from[path.extension];
    return;
  }
  const source = (path.extension ? from[path.extension] : from) as Record<string, unknown>;
  let target = to;
  if (path.extension) {
    const existing = to[path.extension];
    target = isObject(existing) ? { ...existing } : {};
    to[path.extension] = target;
  }
  const value = source[path.attribute!];
  if (path.sub === null) {
    target[path.attribute!] = value;
    return;
  }
  const pick = (item: unknown, already: unknown): unknown => {
    if (!isObject(item)) return already;
    const subKey = Object.keys(item).find((k) => k.toLowerCase() === path.sub!.toLowerCase());
    const kept = isObject(already) ? already : {};
    return subKey === undefined ? kept : { ...kept, [subKey]: item[subKey] };
  };
  const previous = target[path.attribute!];
  target[path.attribute!] = Array.isArray(value)
    ? value.map((item, i) => pick(item, Array.isArray(previous) ? previous[i] : undefined))
    : pick(value, previous);
}

function removePath(resource: Record<string, unknown>, path: AttributePath): void {
  if (path.extension && path.attribute === null) {
    delete resource[path.extension];
    return;
  }
  if (!path.extension && alwaysReturned.has(path.attribute!)) return;
  let holder = resource;
  if (path.extension) {
    const extension = resource[path.extension];
    if (!isObject(extension)) return;
    holder = { ...extension };
    resource[path.extension] = holder;
  }
  if (path.sub === null) {
    delete holder[path.attribute!];
    return;
  }
  const drop = (item: unknown): unknown => {
    if (!isObject(item)) return item;
    const copy = { ...item };
    for (const key of Object.keys(copy)) if (key.toLowerCase() === path.sub!.toLowerCase()) delete copy[key];
    return copy;
  };
  const value = holder[path.attribute!];
  holder[path.attribute!] = Array.isArray(value) ? value.map(drop) : drop(value);
}

/** `out`'s properties in the order the full resource has them (schemas, id, … as Envelope answers). */
function orderedLike(resource: Record<string, unknown>, out: Record<string, unknown>): Record<string, unknown> {
  const ordered: Record<string, unknown> = {};
  for (const key of Object.keys(resource)) if (Object.hasOwn(out, key)) ordered[key] = out[key];
  return ordered;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
