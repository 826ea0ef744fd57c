// The `lambda-escalation` command: argument parsing and printing only; what the commands
// do lives in lambda/local/.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { formatDuration, parseDuration } from '../lambda/engine/duration.js';
import type { StepOutputRecord } from '../lambda/engine/run.js';
// Types only: the modules behind them load the AWS SDK and the engine, which a usage error
// or --help does not need; each command imports what it uses when it runs.
import type { ControlClient, FireResult } from '../lambda/local/control-client.js';
import type { LocalRuntime } from '../lambda/local/local-runtime.js';
import { RUN_STATES, isRunState, type RunSummary, type RunView } from '../lambda/local/run-view.js';
import type { JsonValue } from '../lambda/sdk/json.js';
import { SRN } from '../lambda/sdk/srn.js';

// The pinned SDK (the last for Node 20, see DESIGN.md) warns on every start that later
// ones need Node 22; in a CLI that is noise on every command. An explicit setting wins.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const PROGRAM = 'lambda-escalation';
/** `serve`'s port when none is given, and where `fire`, `show` and `list` look for it. */
const DEFAULT_PORT = 4599;
const DEFAULT_DATA_DIR = '.local-data';
const FIRE_STEPS = ['prompt', 'request', 'approve', 'deny', 'escalate', 'deescalate'] as const;

/** A wrong command line: printed with a pointer to --help, exit code 2. */
class UsageError extends Error {
  public constructor(
    message: string,
    public readonly command?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

const HELP: Record<string, string> = {
  main: `Usage: ${PROGRAM} <command> [options]

Runs lambda-escalation on this machine, no AWS account needed: the same dispatcher as in
AWS, with DynamoDB (dynalite), Lambda, EventBridge PutEvents and schedules stood in for
on 127.0.0.1.

Commands:
  serve   start local mode and keep it running
  fire    send one event to a running serve
  show    show one run: state, outputs, history
  list    list runs, newest first
  demo    run one whole flow end to end and exit (what \`npm start\` runs)

Run \`${PROGRAM} <command> --help\` for a command's options.
Exit codes: 0 done, 1 failed or refused, 2 wrong command line.`,

  serve: `Usage: ${PROGRAM} serve [--port P] [--data DIR] [--hooks FILE] [--escalate FILE] [--deescalate FILE] [--targets FILE]

Starts local mode on 127.0.0.1 and runs until SIGINT (Ctrl-C) or SIGTERM:
dynalite (runs persist under --data), a Lambda Invoke endpoint serving the handler modules,
timers for scheduled deescalations (re-armed from the data on start), a sweep every second,
and on --port an endpoint that speaks EventBridge PutEvents plus the control API that
fire, show and list use.

Options:
  --port P           port of the events endpoint (0: a free one)      default ${DEFAULT_PORT}
  --data DIR         folder the runs persist in                        default ${DEFAULT_DATA_DIR}
  --hooks FILE       hooks module, \`export default defineHooks({...})\` default lambda/examples/hooks.ts
  --escalate FILE    module whose \`handler\` export grants access       default lambda/examples/escalate.ts
  --deescalate FILE  module whose \`handler\` export revokes it          default lambda/examples/deescalate.ts
  --targets FILE     JSON array of { "srn", "label"?, "settings"? }     default two example targets
  -h, --help         this help

Modules may be TypeScript or JavaScript, ESM or CommonJS: the same files the stack deploys.`,

  fire: `Usage: ${PROGRAM} fire STEP --run ID --actor USER [--target SRN] [--duration D] [--field k=v]... [--port P]

Sends one event to a running serve with the AWS SDK's EventBridge PutEvents, as any
producer would, and prints what became of it (the serve dispatches an event before it
answers, then fire reads the outcome and the run from its control API).

Arguments:
  STEP               ${FIRE_STEPS.join(', ')}
Options:
  --run ID           the run the event acts on (a new one for request)
  --actor USER       username of who acts, e.g. alice@example.com
  --target SRN       target of a request (one of the serve's targets)
  --duration D       requested access: seconds, or 30s, 15m, 1h, 2d
  --field k=v        a field of the request, repeatable (values are strings)
  --port P           the serve's port                                  default ${DEFAULT_PORT}
  -h, --help         this help

Exits 1 when the event is refused or fails, with the reason on stderr.`,

  show: `Usage: ${PROGRAM} show RUN [--json] [--port P]

Shows one run of a running serve: state, requester, target, duration, expiry, every
step output and the history.

Options:
  --json             print one JSON object (runId, state, outputs, history, …)
  --port P           the serve's port                                  default ${DEFAULT_PORT}
  -h, --help         this help`,

  list: `Usage: ${PROGRAM} list [--state S] [--json] [--port P]

Lists the runs of a running serve, newest first.

Options:
  --state S          only runs in this state: ${RUN_STATES.join(', ')}
  --json             print one JSON object, { "runs": [...] }
  --port P           the serve's port                                  default ${DEFAULT_PORT}
  -h, --help         this help`,

  demo: `Usage: ${PROGRAM} demo

Runs one whole flow in-process, on a free port with a temporary data folder, and exits:
request -> approve -> escalate (example Lambda) -> afterEscalate prints the escalate
output -> deescalation 3 s later -> afterDeescalate prints its output.

Options:
  -h, --help         this help`,
};

const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const;
const PORT_OPTION = { port: { type: 'string' } } as const;

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    const topic = command === 'help' ? rest[0] : undefined;
    print(topic !== undefined && topic in HELP ? (HELP[topic] as string) : (HELP.main as string));
    return 0;
  }
  switch (command) {
    case 'serve':
      return serve(rest);
    case 'fire':
      return fire(rest);
    case 'show':
      return show(rest);
    case 'list':
      return list(rest);
    case 'demo':
      return demo(rest);
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}: commands are serve, fire, show, list, demo`);
  }
}

async function serve(args: readonly string[]): Promise<number> {
  const parsed = parse('serve', (common) =>
    parseArgs({
      ...common,
      args: [...args],
      options: {
        ...HELP_OPTION,
        ...PORT_OPTION,
        data: { type: 'string' },
        hooks: { type: 'string' },
        escalate: { type: 'string' },
        deescalate: { type: 'string' },
        targets: { type: 'string' },
      },
    }),
  );
  if (parsed === 'help') return 0;
  const { values } = parsed;
  const port = portOf('serve', values.port, { allowZero: true });
  const dataDir = nonEmpty('serve', '--data', values.data) ?? DEFAULT_DATA_DIR;

  const { startLocalRuntime } = await import('../lambda/local/local-runtime.js');
  const runtime = await startLocalRuntime({
    port,
    dataDir,
    ...optional('hooksFile', nonEmpty('serve', '--hooks', values.hooks)),
    ...optional('escalateFile', nonEmpty('serve', '--escalate', values.escalate)),
    ...optional('deescalateFile', nonEmpty('serve', '--deescalate', values.deescalate)),
    ...optional('targetsFile', nonEmpty('serve', '--targets', values.targets)),
    log: (line) => print(`${new Date().toISOString().slice(11, 23)}Z  ${line}`),
  });
  printEndpoints(runtime);

  await new Promise<void>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        process.stderr.write(`${signal} again: exiting without waiting\n`);
        process.exit(1);
      }
      stopping = true;
      print(`${signal}: stopping (in-flight events finish first)…`);
      runtime.stop().then(
        () => {
          print('stopped');
          resolve();
        },
        (error: unknown) => {
          process.stderr.write(`stopping failed: ${describe(error)}\n`);
          process.exitCode = 1;
          resolve();
        },
      );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  return Number(process.exitCode ?? 0);
}

function printEndpoints(runtime: LocalRuntime): void {
  const rel = (file: string): string => path.relative(process.cwd(), file) || file;
  print(`${PROGRAM} local mode, flow "${runtime.flow.name}"`);
  print(`  events (EventBridge PutEvents) + control API  ${runtime.endpoint}`);
  print(`  DynamoDB (dynalite)                           ${runtime.dynamodbEndpoint}  data in ${runtime.dataDir ?? '(memory)'}`);
  print(`  Lambda Invoke                                 ${runtime.lambdaEndpoint}  ${runtime.flow.escalateFunction} = ${rel(runtime.files.escalate)}, ${runtime.flow.deescalateFunction} = ${rel(runtime.files.deescalate)}`);
  print(`  hooks                                         ${rel(runtime.files.hooks)}`);
  print(`  targets${runtime.files.targets ? ` (${rel(runtime.files.targets)})` : ''}`);
  for (const target of runtime.flow.targets) print(`    ${target.srn}${target.label ? `  ${target.label}` : ''}`);
  print(`  pending deescalations re-armed: ${runtime.rearmed.length}`);
  print(`  try: ${PROGRAM} fire request --run r-1 --actor alice@example.com --target ${runtime.flow.targets[0]?.srn} --duration 1m${runtime.port === DEFAULT_PORT ? '' : ` --port ${runtime.port}`}`);
  print(`listening on ${runtime.endpoint}`);
}

async function fire(args: readonly string[]): Promise<number> {
  const parsed = parse(
    'fire',
    (common) =>
      parseArgs({
        ...common,
        args: [...args],
        options: {
          ...HELP_OPTION,
          ...PORT_OPTION,
          run: { type: 'string' },
          actor: { type: 'string' },
          target: { type: 'string' },
          duration: { type: 'string' },
          field: { type: 'string', multiple: true },
        },
      }),
    1,
  );
  if (parsed === 'help') return 0;
  const { values, positionals } = parsed;
  const step = positionals[0];
  if (step === undefined) throw new UsageError(`fire needs a STEP: one of ${FIRE_STEPS.join(', ')}`, 'fire');
  if (!(FIRE_STEPS as readonly string[]).includes(step)) {
    throw new UsageError(`${JSON.stringify(step)} is not a step fire can send: one of ${FIRE_STEPS.join(', ')}`, 'fire');
  }
  const runId = nonEmpty('fire', '--run', values.run);
  if (runId === undefined) throw new UsageError('fire needs --run ID: the run the event acts on', 'fire');
  const actor = nonEmpty('fire', '--actor', values.actor);
  if (actor === undefined) throw new UsageError('fire needs --actor USER: the username of who acts', 'fire');
  const target = nonEmpty('fire', '--target', values.target);
  if (target !== undefined) {
    try {
      SRN.parse(target);
    } catch (error) {
      throw new UsageError(`--target ${JSON.stringify(target)} is not an SRN: ${(error as Error).message}`, 'fire');
    }
  }
  const duration = durationOf(values.duration);
  const fields = fieldsOf(values.field ?? []);
  const port = portOf('fire', values.port);

  const client = await controlClient(port);
  const result = await client.fire({
    step,
    runId,
    actor: { username: actor },
    ...optional('targetSrn', target),
    ...optional('duration', duration),
    fields,
  });
  return printFireResult(result);
}

/** What `fire` prints; the exit code says whether the event took effect. */
function printFireResult({ outcome, run, eventId }: FireResult): number {
  const head = `${outcome.step} run ${outcome.runId ?? '-'}`;
  const took = outcome.ms !== undefined ? ` in ${outcome.ms} ms` : '';
  if (outcome.status === 'failed') {
    process.stderr.write(`${head}: failed${took} after ${outcome.attempts} attempts (event ${eventId}): ${outcome.error}\n`);
    return 1;
  }
  const result = outcome.result;
  if (!result || !('status' in result)) {
    print(`${head}: ${JSON.stringify(result)}`);
    return 0;
  }
  switch (result.status) {
    case 'refused':
      process.stderr.write(`${head}: refused (${result.code}): ${result.message}\n`);
      return 1;
    case 'ignored':
      print(`${head}: ignored by a hook${took}: ${result.message}`);
      return 0;
    case 'duplicate':
      print(`${head}: duplicate, nothing changed${took}; the run is ${result.state}`);
      return 0;
    case 'applied': {
      print(`${head}: applied${took}, now ${result.state} [${result.steps.join(', ')}]`);
      if (run?.expiresAt !== undefined && (result.state === 'escalated' || result.state === 'escalating')) {
        print(`  access until ${run.expiresAt} (${relative(run.expiresAt)})`);
      }
      for (const step of ['escalate', 'deescalate'] as const) {
        const output = run?.outputs[step];
        if (output && result.steps.includes(`${step}_result`)) print(`  ${step} output: ${formatOutput(output)}`);
      }
      return 0;
    }
  }
}

async function show(args: readonly string[]): Promise<number> {
  const parsed = parse('show', (common) => parseArgs({ ...common, args: [...args], options: { ...HELP_OPTION, ...PORT_OPTION, json: { type: 'boolean' } } }), 1);
  if (parsed === 'help') return 0;
  const runId = parsed.positionals[0];
  if (runId === undefined || runId === '') throw new UsageError('show needs a RUN id', 'show');
  const client = await controlClient(portOf('show', parsed.values.port));
  const run = await client.run(runId);
  if (parsed.values.json === true) print(JSON.stringify(run, null, 2));
  else printRun(run);
  return 0;
}

function printRun(run: RunView): void {
  const actor = (a: { username: string; name: string; at: string }): string => `${a.username}${a.name && a.name !== a.username ? ` (${a.name})` : ''} at ${a.at}`;
  print(`run ${run.runId}: ${run.state}   (flow ${run.flow}, version ${run.version})`);
  print(`  requester   ${actor(run.requester)}`);
  print(`  target      ${run.target.srn}${run.target.label ? `  ${run.target.label}` : ''}`);
  print(`  duration    ${formatDuration(run.duration)} (${run.duration} s)`);
  if (run.requestExpiresAt && (run.state === 'requested' || run.state === 'forwarded')) print(`  request expires ${run.requestExpiresAt} (${relative(run.requestExpiresAt)})`);
  if (run.escalatedAt) print(`  escalated   ${run.escalatedAt}`);
  print(`  expiry      ${run.expiresAt ? `${run.expiresAt} (${relative(run.expiresAt)})` : '-'}`);
  if (run.deescalateType) print(`  deescalate  ${run.deescalateType}${run.deescalateAttempts > 1 ? `, ${run.deescalateAttempts} attempts` : ''}`);
  const actors = Object.entries(run.actors).map(([step, a]) => `${step} ${a?.username}${a?.viaHook ? ' (hook)' : ''}`);
  if (actors.length > 0) print(`  actors      ${actors.join(' · ')}`);
  if (Object.keys(run.fields).length > 0) print(`  fields      ${JSON.stringify(run.fields)}`);
  if (run.ignoredMessage) print(`  ignored     ${run.ignoredMessage}`);
  print('outputs');
  for (const step of ['escalate', 'deescalate'] as const) {
    const output = run.outputs[step];
    print(`  ${step.padEnd(11)} ${output ? `${output.at}  ${formatOutput(output)}` : '(none yet)'}`);
  }
  print('history');
  for (const entry of run.history) {
    const detail = entry.detail && Object.keys(entry.detail).length > 0 ? `  ${JSON.stringify(entry.detail)}` : '';
    print(`  ${entry.at}  ${entry.step.padEnd(18)} ${entry.actor.padEnd(24)} ${entry.outcome}${detail}`);
  }
  if (run.lifecycle.length > 0) {
    print('lifecycle events (since this serve started)');
    for (const event of run.lifecycle) print(`  ${event.at}  ${event.type}  by ${event.actor}`);
  }
}

async function list(args: readonly string[]): Promise<number> {
  const parsed = parse('list', (common) =>
    parseArgs({ ...common, args: [...args], options: { ...HELP_OPTION, ...PORT_OPTION, state: { type: 'string' }, json: { type: 'boolean' } } }),
  );
  if (parsed === 'help') return 0;
  const state = parsed.values.state;
  if (state !== undefined && !isRunState(state)) {
    throw new UsageError(`--state ${JSON.stringify(state)} is not a run state: one of ${RUN_STATES.join(', ')}`, 'list');
  }
  const client = await controlClient(portOf('list', parsed.values.port));
  const runs = await client.runs(state !== undefined ? { state } : {});
  if (parsed.values.json === true) {
    print(JSON.stringify({ runs }, null, 2));
    return 0;
  }
  if (runs.length === 0) {
    print(state !== undefined ? `no runs are ${state}` : 'no runs yet');
    return 0;
  }
  const rows: RunSummary[] = runs;
  const width = Math.max(6, ...rows.map((r) => r.runId.length));
  print(`${'RUN'.padEnd(width)}  ${'STATE'.padEnd(19)}  ${'REQUESTER'.padEnd(24)}  ${'CREATED'.padEnd(24)}  TARGET`);
  for (const r of rows) {
    print(`${r.runId.padEnd(width)}  ${r.state.padEnd(19)}  ${r.requester.padEnd(24)}  ${r.createdAt.padEnd(24)}  ${r.targetSrn}`);
  }
  return 0;
}

async function demo(args: readonly string[]): Promise<number> {
  if (parse('demo', (common) => parseArgs({ ...common, args: [...args], options: { ...HELP_OPTION } })) === 'help') return 0;
  const { runDemo } = await import('../lambda/local/demo.js');
  const { run, ms } = await runDemo();
  print(`demo finished in ${(ms / 1000).toFixed(1)}s: run ${run.runId} ${run.state}`);
  return 0;
}

/**
 * Strict parsing: an unknown flag or a flag without its value is a UsageError. `parse`
 * is given the `parseArgs` call so each command keeps the option types inferred from its
 * own literal configuration.
 */
function parse<T extends { values: { help?: boolean | undefined }; positionals: string[] }>(
  command: string,
  parseCall: (common: { strict: true; allowPositionals: true }) => T,
  maxPositionals = 0,
): T | 'help' {
  let parsed: T;
  try {
    parsed = parseCall({ strict: true, allowPositionals: true });
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/\. To specify a positional argument.*$/s, ''), command);
  }
  if (parsed.values.help === true) {
    print(HELP[command] as string);
    return 'help';
  }
  if (parsed.positionals.length > maxPositionals) {
    const extra = parsed.positionals.slice(maxPositionals);
    throw new UsageError(`unexpected argument${extra.length > 1 ? 's' : ''} ${extra.map((a) => JSON.stringify(a)).join(' ')}`, command);
  }
  return parsed;
}

async function controlClient(port: number): Promise<ControlClient> {
  const { ControlClient } = await import('../lambda/local/control-client.js');
  return new ControlClient({ endpoint: `http://127.0.0.1:${port}` });
}

function portOf(command: string, value: string | undefined, { allowZero = false } = {}): number {
  if (value === undefined) return DEFAULT_PORT;
  const port = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(port) || port > 65_535 || port < (allowZero ? 0 : 1)) {
    throw new UsageError(`--port ${JSON.stringify(value)} is not a port: a whole number from ${allowZero ? '0 (a free one)' : '1'} to 65535`, command);
  }
  return port;
}

function nonEmpty(command: string, flag: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (value.trim() === '') throw new UsageError(`${flag} needs a value, got an empty string`, command);
  return value;
}

function durationOf(value: string | undefined): number | string | undefined {
  if (value === undefined) return undefined;
  const duration = /^\d+$/.test(value) ? Number(value) : value;
  try {
    parseDuration(duration);
  } catch (error) {
    throw new UsageError(`--duration: ${(error as Error).message}`, 'fire');
  }
  return duration;
}

function fieldsOf(pairs: readonly string[]): Record<string, JsonValue> {
  const fields: Record<string, JsonValue> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    const key = at > 0 ? pair.slice(0, at).trim() : '';
    if (key === '') throw new UsageError(`--field ${JSON.stringify(pair)} is not k=v: write e.g. --field reason=INC-42`, 'fire');
    if (key in fields) throw new UsageError(`--field ${key} is given twice`, 'fire');
    fields[key] = pair.slice(at + 1);
  }
  return fields;
}

function formatOutput(output: StepOutputRecord): string {
  return `body ${JSON.stringify(output.body)}  errors ${output.errors.length > 0 ? JSON.stringify(output.errors) : 'none'}`;
}

function relative(iso: string): string {
  const ms = Date.parse(iso) - Date.now();
  const seconds = Math.round(Math.abs(ms) / 1000);
  const text = seconds === 0 ? 'now' : formatDuration(seconds);
  return seconds === 0 ? text : ms > 0 ? `in ${text}` : `${text} ago`;
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`${PROGRAM}${error.command ? ` ${error.command}` : ''}: ${error.message}\nRun \`${PROGRAM}${error.command ? ` ${error.command}` : ''} --help\` for usage.\n`);
      process.exitCode = 2;
      return;
    }
    // Configuration, module and connection errors carry a message meant for the user.
    const known = error instanceof Error && ['LocalConfigError', 'LocalControlError', 'ModuleLoadError'].includes(error.name);
    process.stderr.write(`${PROGRAM}: ${known ? (error as Error).message : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
