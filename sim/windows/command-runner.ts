import type { DmTree, LoginStatus } from './dm-tree.ts';
import { serverCommandNames, type DeviceCommand, type ServerCommand, type SyncMlItem } from './syncml.ts';

/**
 * Runs a server message's commands on the device's tree, in order, and returns what the device
 * answers: a Status per command (CmdRef = the server's CmdID, nested commands included) and Results
 * per Get. Rules from oma-dm-protocol-support.md ("DM protocol commands") and [MS-MDM] §2.2.7.
 */
export interface ProtocolViolation {
  rule: 'missing-cmdid' | 'duplicate-cmdid' | 'unknown-command' | 'nested-atomic' | 'get-in-atomic' | 'locuri-slash' | 'locuri-segment' | 'cdata' | 'no-target' | 'header' | 'status' | 'http';
  detail: string;
}

/** Every rule the server's commands break, nested commands included. */
export function findCommandViolations(commands: readonly ServerCommand[]): ProtocolViolation[] {
  const violations: ProtocolViolation[] = [];
  const seen = new Set<string>();
  const walk = (command: ServerCommand, parent: ServerCommand | undefined) => {
    const where = `${command.name}${command.cmdId ? ` (CmdID ${command.cmdId})` : ''}${parent ? ` inside ${parent.name} ${parent.cmdId ?? ''}`.trimEnd() : ''}`;
    if (!(serverCommandNames as readonly string[]).includes(command.name)) violations.push({ rule: 'unknown-command', detail: `<${command.name}> is not an OMA DM command a Windows client accepts (${where})` });
    if (command.cmdId === undefined || command.cmdId === '') violations.push({ rule: 'missing-cmdid', detail: `${where} has no CmdID` });
    else if (seen.has(command.cmdId)) violations.push({ rule: 'duplicate-cmdid', detail: `CmdID ${command.cmdId} is used twice in one message` });
    else seen.add(command.cmdId);
    if (command.cdata) violations.push({ rule: 'cdata', detail: `${where} uses CDATA, which Windows does not support in SyncML` });
    if (parent?.name === 'Atomic' && command.name === 'Atomic') violations.push({ rule: 'nested-atomic', detail: `${where}: Atomic cannot be nested` });
    if (parent?.name === 'Atomic' && command.name === 'Get') violations.push({ rule: 'get-in-atomic', detail: `${where}: Get is not allowed in Atomic` });
    if (['Add', 'Replace', 'Delete', 'Get', 'Exec'].includes(command.name)) {
      if (command.items.length === 0) violations.push({ rule: 'no-target', detail: `${where} has no Item` });
      for (const item of command.items) {
        const problem = locUriProblem(item.target);
        if (problem) violations.push({ rule: problem.rule, detail: `${where}: ${problem.detail}` });
      }
    }
    for (const nested of command.children) walk(nested, command);
  };
  for (const command of commands) walk(command, undefined);
  return violations;
}

/** oma-dm-protocol-support.md: "LocURI can't start with /"; node names are not empty and not `*`; `.` only as the first segment. */
export function locUriProblem(locUri: string | undefined): { rule: 'locuri-slash' | 'locuri-segment' | 'no-target'; detail: string } | undefined {
  if (locUri === undefined || locUri === '') return { rule: 'no-target', detail: 'an Item has no Target LocURI' };
  if (locUri.startsWith('/')) return { rule: 'locuri-slash', detail: `LocURI ${locUri} starts with /` };
  const segments = locUri.split('/');
  if (segments.some((segment, index) => segment === '' || segment === '*' || (segment === '.' && index > 0) || segment === '..')) {
    return { rule: 'locuri-segment', detail: `LocURI ${locUri} has an empty, "*", "." or ".." node name` };
  }
  return undefined;
}

export interface RunContext {
  tree: DmTree;
  loginStatus: LoginStatus;
  serverMsgId: string;
  nextCmdId: () => number;
  /** Each refused command, with why (the simulator's log). */
  onRefused?: (event: { command: string; target: string | undefined; code: number; reason: string | undefined }) => void;
}

export interface RunOutcome {
  answers: DeviceCommand[];
  unenroll: boolean;
  /** Status codes per command name (for counters). */
  codes: { cmd: string; code: number }[];
}

/** Executes the commands and builds the answers (also for commands that break the rules, with the documented codes). */
export function runCommands(commands: readonly ServerCommand[], context: RunContext): RunOutcome {
  const outcome: RunOutcome = { answers: [], unenroll: false, codes: [] };
  for (const command of commands) runOne(command, context, outcome, false);
  context.tree.activeSync.commit();
  return outcome;
}

function status(context: RunContext, command: ServerCommand, code: number, outcome: RunOutcome, target?: string): DeviceCommand & { kind: 'Status' } {
  const answer: DeviceCommand & { kind: 'Status' } = { kind: 'Status', cmdId: context.nextCmdId(), msgRef: context.serverMsgId, cmdRef: command.cmdId ?? '', cmd: command.name, code };
  if (target !== undefined) answer.targetRef = target;
  outcome.codes.push({ cmd: command.name, code });
  return answer;
}

function runOne(command: ServerCommand, context: RunContext, outcome: RunOutcome, inAtomic: boolean): number {
  const push = (code: number) => {
    outcome.answers.push(status(context, command, code, outcome));
    return code;
  };
  // Documented answers to malformed commands (oma-dm-protocol-support.md).
  if (!(serverCommandNames as readonly string[]).includes(command.name) || !command.cmdId || command.cdata) return push(400);
  switch (command.name) {
    case 'Atomic':
      return runAtomic(command, context, outcome, inAtomic);
    case 'Sequence': {
      const index = outcome.answers.length;
      outcome.answers.push(status(context, command, 200, outcome));
      for (const nested of command.children) runOne(nested, context, outcome, inAtomic);
      return (outcome.answers[index] as { code: number }).code;
    }
    case 'Alert':
      return push(200);
    default:
      return runItems(command, context, outcome, inAtomic);
  }
}

function runAtomic(command: ServerCommand, context: RunContext, outcome: RunOutcome, inAtomic: boolean): number {
  if (inAtomic) {
    // "The nested Atomic command returns 500. The parent Atomic command returns 507."
    outcome.answers.push(status(context, command, 500, outcome));
    return 500;
  }
  const index = outcome.answers.length;
  outcome.answers.push(status(context, command, 200, outcome));
  const snapshot = context.tree.snapshot();
  context.tree.activeSync.beginAtomic();
  const firstChild = outcome.answers.length;
  let failed = false;
  for (const nested of command.children) {
    const code = nested.name === 'Get' ? pushGetInAtomic(nested, context, outcome) : runOne(nested, context, outcome, true);
    if (code >= 300) failed = true;
  }
  context.tree.activeSync.endAtomic();
  if (failed) {
    context.tree.restore(snapshot);
    // Rolled-back children answer 216; the failing ones keep their code; the Atomic answers 507.
    for (const answer of outcome.answers.slice(firstChild)) {
      if (answer.kind === 'Status' && answer.code < 300) answer.code = 216;
      if (answer.kind === 'Results') answer.items = [];
    }
    outcome.answers.splice(firstChild, outcome.answers.length - firstChild, ...outcome.answers.slice(firstChild).filter((answer) => answer.kind !== 'Results'));
    (outcome.answers[index] as { code: number }).code = 507;
    outcome.codes.push({ cmd: 'Atomic', code: 507 });
    return 507;
  }
  context.tree.activeSync.commit();
  return 200;
}

function pushGetInAtomic(command: ServerCommand, context: RunContext, outcome: RunOutcome): number {
  // "Nested Atomic and Get commands aren't allowed and will generate error code 500."
  outcome.answers.push(status(context, command, 500, outcome));
  return 500;
}

function runItems(command: ServerCommand, context: RunContext, outcome: RunOutcome, inAtomic: boolean): number {
  const op = command.name as 'Add' | 'Replace' | 'Delete' | 'Get' | 'Exec';
  let code = 200;
  const results: SyncMlItem[] = [];
  if (command.items.length === 0) code = 400;
  for (const item of command.items) {
    const problem = locUriProblem(item.target);
    let itemCode: number;
    if (problem) {
      itemCode = 400;
      context.onRefused?.({ command: op, target: item.target, code: 400, reason: problem.detail });
    } else {
      const result = context.tree.execute(op, item.target!, { ...(item.format !== undefined ? { format: item.format } : {}), ...(item.data !== undefined ? { data: item.data } : {}) }, { loginStatus: context.loginStatus, inAtomic });
      itemCode = result.code;
      if (result.unenroll) outcome.unenroll = true;
      if (result.result && op === 'Get') results.push({ source: item.target!, format: result.result.format, data: result.result.data });
      if (itemCode >= 300) context.onRefused?.({ command: op, target: item.target, code: itemCode, reason: result.reason });
    }
    if (code < 300 && itemCode >= 300) code = itemCode;
  }
  outcome.answers.push(status(context, command, code, outcome));
  if (op === 'Get' && results.length > 0) {
    outcome.answers.push({ kind: 'Results', cmdId: context.nextCmdId(), msgRef: context.serverMsgId, cmdRef: command.cmdId!, items: results });
  }
  return code;
}
