import type { Ddf, DdfNode } from './windows-ddf-tree.ts';
import { readSyncMl, type ReadSyncMlCommand } from './windows-syncml-reader.ts';

export { ddfFiles, loadDdf, type Ddf, type DdfNode } from './windows-ddf-tree.ts';

/** Commands that carry a value (`Item/Data` with `Meta/Format`). */
const valueCommands = new Set(['Add', 'Replace']);

/**
 * Checks a SyncML message (or bare `SyncBody` content) against a DDF and returns every violation
 * found, empty when the message conforms. Per command it checks that:
 * - the LocURI's braces are URL-encoded and, decoded, it names a DDF node (dynamic nodes match the
 *   DDF's RegEx or its listed names);
 * - the operation is in the node's `AccessType`;
 * - `Add`/`Replace` carry `Data` and a `Meta/Format` equal to the node's `DFFormat` (`chr` for every
 *   leaf of this CSP), and the value is in `MSFT:AllowedValues` (ENUM, Range, RegEx) when present;
 * - an `Add` at or below an `MSFT:AtomicRequired` node sits inside `Atomic`;
 * and, for the message: CmdIDs unique and increasing, no nested `Atomic`, no node targeted twice
 * inside one `Atomic` (Windows does not support Add-then-Replace there), plus the reader's
 * structural faults.
 */
export function validateSyncMlAgainstDdf(ddf: Ddf, xml: string): string[] {
  const { commands, problems } = readSyncMl(xml);
  return [...problems, ...validateCommandsAgainstDdf(ddf, commands)];
}

export function validateCommandsAgainstDdf(ddf: Ddf, commands: readonly ReadSyncMlCommand[]): string[] {
  const violations: string[] = [];
  let lastCmdId = 0;
  const seen = new Set<number>();
  const checkCmdId = (command: ReadSyncMlCommand): void => {
    if (seen.has(command.CmdID)) violations.push(`CmdID ${command.CmdID} is used twice.`);
    else if (command.CmdID <= lastCmdId) violations.push(`CmdID ${command.CmdID} follows ${lastCmdId}; CmdIDs must increase.`);
    seen.add(command.CmdID);
    lastCmdId = Math.max(lastCmdId, command.CmdID);
  };
  for (const command of commands) {
    checkCmdId(command);
    if (command.command !== 'Atomic') {
      violations.push(...validateNodeCommand(ddf, command, false));
      continue;
    }
    const targets = new Set<string>();
    for (const inner of command.commands ?? []) {
      checkCmdId(inner);
      if (inner.command === 'Atomic') {
        violations.push(`Atomic ${inner.CmdID} is nested in Atomic ${command.CmdID}; Windows rejects nesting.`);
        continue;
      }
      if (inner.LocURI !== undefined && targets.has(inner.LocURI)) {
        violations.push(`${inner.command} ${inner.CmdID}: ${inner.LocURI} is targeted twice in Atomic ${command.CmdID}.`);
      }
      if (inner.LocURI !== undefined) targets.add(inner.LocURI);
      violations.push(...validateNodeCommand(ddf, inner, true));
    }
  }
  return violations;
}

function validateNodeCommand(ddf: Ddf, command: ReadSyncMlCommand, insideAtomic: boolean): string[] {
  const label = `${command.command} ${command.CmdID}`;
  if (command.LocURI === undefined) return [`${label} has no Target/LocURI.`];
  const found = resolveLocUri(ddf, command.LocURI);
  if (typeof found === 'string') return [`${label}: ${found}`];
  const { node, path } = found;
  const violations: string[] = [];
  if (!node.accessTypes.has(command.command)) {
    violations.push(`${label}: ${node.path} does not allow ${command.command} (AccessType: ${[...node.accessTypes].join(', ')}).`);
  }
  if (command.command === 'Add' && !insideAtomic) {
    const atomicNode = path.find((ancestor) => ancestor.atomicRequired);
    if (atomicNode) violations.push(`${label}: ${atomicNode.path} is MSFT:AtomicRequired, so Add must be inside Atomic.`);
  }
  if (!valueCommands.has(command.command)) return violations;
  if (command.Format !== node.format) {
    violations.push(`${label}: Meta/Format is '${command.Format ?? '(none)'}', the DDF says DFFormat '${node.format}'.`);
  }
  if (node.format !== 'node' && command.Data === undefined) violations.push(`${label}: no Data.`);
  if (command.Data !== undefined) {
    const problem = valueProblem(node, command.Data);
    if (problem) violations.push(`${label}: ${problem}`);
  }
  return violations;
}

/**
 * Finds the DDF node a LocURI names, with the chain of nodes from the top down to it, or says why
 * there is none. Braces must arrive as `%7B`/`%7D`; each segment is URL-decoded before matching.
 */
export function resolveLocUri(ddf: Ddf, locUri: string): { node: DdfNode; path: DdfNode[] } | string {
  if (/[{}]/.test(locUri)) return `${locUri} has literal braces; OMA-DM needs %7B and %7D.`;
  const segments = locUri.split('/').map(decodeSegment);
  const prefix = ddf.rootSegments;
  if (segments.length < prefix.length || prefix.some((segment, i) => segments[i] !== segment)) {
    return `${locUri} is not under ${prefix.join('/')}.`;
  }
  let node = ddf.root;
  const path = [node];
  for (const segment of segments.slice(prefix.length)) {
    const child = node.children.find((candidate) => candidate.name === segment) ?? dynamicChild(node, segment);
    if (typeof child === 'string') return `${locUri}: ${child}`;
    node = child;
    path.push(node);
  }
  return { node, path };
}

function dynamicChild(parent: DdfNode, segment: string): DdfNode | string {
  const dynamic = parent.children.find((candidate) => candidate.name === null);
  if (!dynamic) return `no node '${segment}' under ${parent.path}.`;
  if (dynamic.allowed?.kind === 'RegEx' && !dynamic.allowed.pattern.test(segment)) {
    return `'${segment}' does not match the RegEx of ${dynamic.path}.`;
  }
  if (dynamic.allowedNames && !dynamic.allowedNames.includes(segment)) {
    return `'${segment}' is not one of the names ${dynamic.path} allows (${dynamic.allowedNames.join(', ')}).`;
  }
  return dynamic;
}

function valueProblem(node: DdfNode, value: string): string | null {
  const allowed = node.allowed;
  if (!allowed || node.format === 'node') return null;
  switch (allowed.kind) {
    case 'ENUM':
      return allowed.values.includes(value) ? null : `'${value}' is not in ${node.path}'s ENUM (${allowed.values.join(', ')}).`;
    case 'Range': {
      const inRange = /^-?\d+$/.test(value) && Number(value) >= allowed.min && Number(value) <= allowed.max;
      return inRange ? null : `'${value}' is outside ${node.path}'s Range [${allowed.min}, ${allowed.max}].`;
    }
    case 'RegEx':
      return allowed.pattern.test(value) ? null : `'${value}' does not match ${node.path}'s RegEx.`;
  }
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
