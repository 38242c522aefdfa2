import { defaultParser } from '@odata/parser';
import { badRequest } from '../../domain/errors.ts';
import type { FilterNode, FilterValue, OrderBy, SearchNode } from '../../store/list-query.ts';

/**
 * OData expressions (`$filter`, `$orderby`, `$search`) read with `@odata/parser` (decision 0026) and
 * turned into the store's trees. Every operator, function or property outside what Envelope translates
 * is a 400 naming it; nothing is ignored.
 */

/** The part of the parser's token that these walkers read. */
interface Token {
  type: string;
  raw: string;
  // The shape of `value` depends on `type` (the library types it as any).
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  value: any;
}

const supportedFilter = "eq, ne, in, and, or, not, startswith(), isof() and parentheses";

/** Names of the OData operators and functions the parser knows and Envelope refuses. */
const refusedOperators: Record<string, string> = {
  LesserThanExpression: 'lt',
  LesserOrEqualsExpression: 'le',
  GreaterThanExpression: 'gt',
  GreaterOrEqualsExpression: 'ge',
  HasExpression: 'has',
  AddExpression: 'add',
  SubExpression: 'sub',
  MulExpression: 'mul',
  DivExpression: 'div',
  ModExpression: 'mod',
  NegateExpression: '-',
  AnyExpression: 'any',
  AllExpression: 'all',
  LambdaVariableExpression: 'lambda',
  CastExpression: 'cast',
};

function filterError(message: string): Error {
  return badRequest(`$filter: ${message}`, '$filter');
}

/**
 * The parser reads URI text, where `%` starts an escape and `&` ends an option; the query string is
 * already decoded, so these two are escaped for it and restored in the values it returns.
 */
function forParser(text: string): string {
  return text.replace(/[%&]/g, (c) => (c === '%' ? '%25' : '%26'));
}

function fromParser(text: string): string {
  return text.replace(/%2[56]/g, (escape) => (escape === '%25' ? '%' : '&'));
}

function parseOrThrow(option: string, parse: () => Token): Token {
  try {
    return parse();
  } catch (error) {
    const at = /at (\d+)/.exec(error instanceof Error ? error.message : '')?.[1];
    throw badRequest(`${option} is not a valid OData expression${at ? ` (at character ${at})` : ''}.`, option);
  }
}

/** Parses `$filter` into a tree over `filterable` properties (`@odata.type` there enables isof()). */
export function parseFilter(text: string, filterable: readonly string[]): FilterNode {
  const source = forParser(desugarIn(text));
  const token = parseOrThrow('$filter', () => defaultParser.filter(source) as Token);
  return toFilter(token, filterable);
}

function toFilter(token: Token, filterable: readonly string[]): FilterNode {
  switch (token.type) {
    case 'AndExpression':
    case 'OrExpression':
      return {
        op: token.type === 'AndExpression' ? 'and' : 'or',
        left: toFilter(token.value.left, filterable),
        right: toFilter(token.value.right, filterable),
      };
    case 'BoolParenExpression':
    case 'ParenExpression':
      return toFilter(token.value, filterable);
    case 'NotExpression':
      return { op: 'not', operand: toFilter(token.value, filterable) };
    case 'EqualsExpression':
    case 'NotEqualsExpression':
      return {
        op: token.type === 'EqualsExpression' ? 'eq' : 'ne',
        property: propertyOf(token.value.left, filterable),
        value: literalOf(token.value.right),
      };
    case 'MethodCallExpression':
      return methodCall(token, filterable);
    case 'CommonExpression':
    case 'FirstMemberExpression':
      if (/^isof\(/i.test(token.raw)) return isof(token, filterable);
      throw filterError(`'${token.raw}' is not a condition; compare it with eq or ne.`);
    default:
      throw filterError(`'${refusedOperators[token.type] ?? token.raw}' is not supported; use ${supportedFilter}.`);
  }
}

function methodCall(token: Token, filterable: readonly string[]): FilterNode {
  const method = String(token.value.method);
  if (method !== 'startswith') throw filterError(`function '${method}' is not supported; use ${supportedFilter}.`);
  const [subject, prefix] = token.value.parameters as Token[];
  const value = prefix ? literalOf(prefix) : null;
  if (!subject || typeof value !== 'string') throw filterError("startswith takes a property and a string, e.g. startswith(displayName,'Ann').");
  return { op: 'startswith', property: propertyOf(subject, filterable), value };
}

/** `isof('microsoft.graph.X')` (also `#microsoft.graph.X` or the bare type name) on polymorphic collections. */
function isof(token: Token, filterable: readonly string[]): FilterNode {
  if (!filterable.includes('@odata.type')) throw filterError("isof() is not supported on this collection.");
  const argument = /^isof\((.*)\)$/is.exec(token.raw)?.[1] ?? '';
  const literal = parseOrThrow('$filter', () => defaultParser.literal(argument.trim()) as Token);
  const name = literal.value === 'Edm.String' ? unquote(literal.raw).replace(/^#?microsoft\.graph\./, '') : '';
  if (!/^[A-Za-z][A-Za-z0-9]*$/.test(name)) throw filterError("isof takes one type name, e.g. isof('microsoft.graph.iosEasEmailProfileConfiguration').");
  return { op: 'isof', type: name };
}

/** A plain property name on the left of a comparison, one of `allowed`. */
function propertyOf(token: Token, allowed: readonly string[], option = '$filter'): string {
  const name = token.raw;
  const isMember = ['FirstMemberExpression', 'MemberExpression', 'PropertyPathExpression', 'CommonExpression'].includes(token.type);
  if (!isMember || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw badRequest(`${option}: '${name}' is not supported; name a property of this collection.`, option);
  }
  if (!allowed.includes(name)) {
    const list = allowed.filter((p) => p !== '@odata.type');
    throw badRequest(`${option}: '${name}' cannot be used here; ${option === '$orderby' ? 'sortable' : option === '$search' ? 'searchable' : 'filterable'}: ${list.join(', ')}.`, option);
  }
  return name;
}

function literalOf(token: Token): FilterValue {
  if (token.type !== 'Literal') throw filterError(`'${token.raw}' is not a literal value; compare a property with a value.`);
  switch (token.value) {
    case 'null':
      return null;
    case 'Edm.String':
      return unquote(token.raw);
    case 'Edm.Boolean':
      return token.raw.toLowerCase() === 'true';
    case 'Edm.SByte':
    case 'Edm.Byte':
    case 'Edm.Int16':
    case 'Edm.Int32':
      return Number(token.raw);
    default:
      // Guids, dates, long and decimal numbers compare as the text Graph prints.
      return token.raw;
  }
}

function unquote(raw: string): string {
  return fromParser(raw.slice(1, -1).replace(/''/g, "'"));
}

/**
 * The parser reads OData 4.0, which has no `in` (4.01, and Graph, have it): `p in ('a','b')` outside
 * string literals becomes `(p eq 'a' or p eq 'b')` before parsing; the values are then parsed and
 * checked like any other literal.
 */
export function desugarIn(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    if (text[i] === "'") {
      const end = stringEnd(text, i);
      out += text.slice(i, end);
      i = end;
      continue;
    }
    const match = /^([A-Za-z_][A-Za-z0-9_]*)\s+in\s*\(/i.exec(text.slice(i));
    if (match && (i === 0 || !/[A-Za-z0-9_.'/]/.test(text[i - 1]!))) {
      const open = i + match[0].length;
      const { items, close } = splitList(text, open);
      if (items.length === 0 || items.some((item) => item === '')) throw filterError(`'${match[1]} in (…)' needs one or more values.`);
      out += `(${items.map((item) => `${match[1]} eq ${item}`).join(' or ')})`;
      i = close + 1;
      continue;
    }
    out += text[i];
    i += 1;
  }
  return out;
}

function stringEnd(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length) {
    if (text[i] === "'") {
      if (text[i + 1] === "'") i += 2;
      else return i + 1;
    } else {
      i += 1;
    }
  }
  return text.length;
}

function splitList(text: string, start: number): { items: string[]; close: number } {
  const items: string[] = [];
  let current = '';
  let i = start;
  while (i < text.length) {
    const c = text[i]!;
    if (c === "'") {
      const end = stringEnd(text, i);
      current += text.slice(i, end);
      i = end;
      continue;
    }
    if (c === ')') {
      if (current.trim() !== '' || items.length > 0) items.push(current.trim());
      return { items, close: i };
    }
    if (c === ',') {
      items.push(current.trim());
      current = '';
    } else {
      current += c;
    }
    i += 1;
  }
  throw filterError("an 'in' list is missing its closing parenthesis.");
}

/** `$orderby=property [asc|desc]`: one of `sortable` (the id breaks ties). */
export function parseOrderBy(text: string, sortable: readonly string[]): OrderBy {
  const token = parseOrThrow('$orderby', () => defaultParser.query(`$orderby=${forParser(text)}`) as Token);
  const options = token.value.options as Token[];
  const items = options.length === 1 && options[0]!.type === 'OrderBy' ? (options[0]!.value.items as Token[]) : null;
  if (!items) throw badRequest('$orderby is not a valid OData expression.', '$orderby');
  if (items.length !== 1) throw badRequest(`$orderby: sort by one property; '${text}' names ${items.length}.`, '$orderby');
  const item = items[0]!;
  return { property: propertyOf(item.value.expr as Token, sortable, '$orderby'), descending: item.value.direction === -1 };
}

/**
 * Graph's `$search="property:words"` (phrases joined by AND / OR, property one of `searchable`).
 * https://learn.microsoft.com/graph/search-query-parameter
 */
export function parseSearch(text: string, searchable: readonly string[]): SearchNode {
  const token = parseOrThrow('$search', () => defaultParser.query(`$search=${forParser(text)}`) as Token);
  const options = token.value.options as Token[];
  if (options.length !== 1 || options[0]!.type !== 'Search') throw badRequest('$search is not a valid OData search expression.', '$search');
  return toSearch(options[0]!.value as Token, searchable);
}

function toSearch(token: Token, searchable: readonly string[]): SearchNode {
  switch (token.type) {
    case 'SearchAndExpression':
    case 'SearchOrExpression':
      return {
        op: token.type === 'SearchAndExpression' ? 'and' : 'or',
        left: toSearch(token.value.left, searchable),
        right: toSearch(token.value.right, searchable),
      };
    case 'SearchParenExpression':
      return toSearch(token.value, searchable);
    case 'SearchPhrase': {
      const phrase = fromParser(String(token.value));
      const colon = phrase.indexOf(':');
      const property = phrase.slice(0, colon);
      const words = phrase.slice(colon + 1).trim();
      if (colon < 1 || words === '') throw badRequest(`$search: use "property:words", e.g. "displayName:ann"; not '${token.raw}'.`, '$search');
      if (!searchable.includes(property)) throw badRequest(`$search: '${property}' cannot be searched; searchable: ${searchable.join(', ')}.`, '$search');
      return { op: 'phrase', property, value: words };
    }
    default:
      throw badRequest(`$search: '${token.raw}' is not supported; use "property:words" phrases joined by AND or OR.`, '$search');
  }
}
