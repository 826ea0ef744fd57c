import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, runCli } from './cli-process.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cli-errors-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function usage(command: string, message: string): string {
  return `lambda-escalation ${command}: ${message}\nRun \`lambda-escalation ${command} --help\` for usage.\n`;
}

describe('a wrong command line', () => {
  it('gets a clear message on stderr and exit code 2', async () => {
    const cases: [string[], string][] = [
      [['fire', 'approve', '--run', 'r-1', '--actor', 'bob', '--bogus'], usage('fire', "Unknown option '--bogus'")],
      [['fire', 'approve', '--run'], usage('fire', "Option '--run <value>' argument missing")],
      [['fire', '--run', 'r-1', '--actor', 'bob'], usage('fire', 'fire needs a STEP: one of prompt, request, approve, deny, escalate, deescalate')],
      [['fire', 'expire', '--run', 'r-1', '--actor', 'bob'], usage('fire', '"expire" is not a step fire can send: one of prompt, request, approve, deny, escalate, deescalate')],
      [['fire', 'approve', '--actor', 'bob'], usage('fire', 'fire needs --run ID: the run the event acts on')],
      [['fire', 'approve', '--run', 'r-1'], usage('fire', 'fire needs --actor USER: the username of who acts')],
      [
        ['fire', 'request', '--run', 'r-1', '--actor', 'bob', '--duration', '5x'],
        usage('fire', '--duration: invalid duration "5x": unit "x" is not one of s, m, h, d; accepted: a positive whole number of seconds, or a number followed by s, m, h or d (e.g. 30s, 15m, 1h, 2d)'),
      ],
      [['fire', 'request', '--run', 'r-1', '--actor', 'bob', '--field', 'reason'], usage('fire', '--field "reason" is not k=v: write e.g. --field reason=INC-42')],
      [['fire', 'request', '--run', 'r-1', '--actor', 'bob', '--target', 'acme:access_target:prod:latest'], expect.stringMatching(/^lambda-escalation fire: --target "acme:access_target:prod:latest" is not an SRN: /)],
      [['serve', '--port', '99999'], usage('serve', '--port "99999" is not a port: a whole number from 0 (a free one) to 65535')],
      [['show', 'r-1', '--port', 'x'], usage('show', '--port "x" is not a port: a whole number from 1 to 65535')],
      [['show'], usage('show', 'show needs a RUN id')],
      [['show', 'r-1', 'r-2'], usage('show', 'unexpected argument "r-2"')],
      [['list', '--state', 'nope'], usage('list', '--state "nope" is not a run state: one of prompted, requested, forwarded, escalating, escalated, deescalating, deescalation_failed, deescalated, denied, expired, errored, ignored')],
      [['demo', '--fast'], usage('demo', "Unknown option '--fast'")],
      [['frobnicate'], 'lambda-escalation: unknown command "frobnicate": commands are serve, fire, show, list, demo\nRun `lambda-escalation --help` for usage.\n'],
    ];
    const results = await Promise.all(cases.map(([args]) => runCli(args, { launcher: 'bin' })));
    results.forEach((result, i) => {
      const [args, stderr] = cases[i]!;
      expect({ args, code: result.code, stdout: result.stdout, stderr: result.stderr }).toEqual({ args, code: 2, stdout: '', stderr });
    });
  });

  it('prints help for each command, exit 0', async () => {
    const commands = ['serve', 'fire', 'show', 'list', 'demo'];
    const [main, ...each] = await Promise.all([runCli(['--help'], { launcher: 'bin' }), ...commands.map((c) => runCli([c, '--help'], { launcher: 'bin' }))]);
    expect(main.code).toBe(0);
    expect(main.stdout).toMatch(/^Usage: lambda-escalation <command> \[options\]/);
    each.forEach((result, i) => {
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(new RegExp(`^Usage: lambda-escalation ${commands[i]}`));
    });
  });
});

describe('commands that cannot do their work', () => {
  it('fire, show and list say when no serve answers, exit 1', async () => {
    const port = await freePort();
    const [fire, show] = await Promise.all([
      runCli(['fire', 'approve', '--run', 'r-1', '--actor', 'bob', '--port', String(port)], { launcher: 'bin' }),
      runCli(['list', '--port', String(port)], { launcher: 'bin' }),
    ]);
    const message = `lambda-escalation: no lambda-escalation serve answers on http://127.0.0.1:${port} (ECONNREFUSED): start one with \`lambda-escalation serve --port ${port}\`, or pass the --port it runs on\n`;
    expect(fire).toMatchObject({ code: 1, stdout: '', stderr: message });
    expect(show).toMatchObject({ code: 1, stdout: '', stderr: message });
  });

  it('serve refuses a bad targets file, a bad hooks module, a missing handler and a taken port, exit 1', async () => {
    await writeFile(path.join(dir, 'targets-bad.json'), JSON.stringify([{ srn: 'acme:access_target:aws_lambda_function:db:latest', lable: 'typo' }]));
    await writeFile(path.join(dir, 'targets-srn.json'), JSON.stringify([{ srn: 'acme:access_target:db:latest' }]));
    await writeFile(path.join(dir, 'hooks-typo.mjs'), 'export default { afterEscalte() {} };\n');
    await writeFile(path.join(dir, 'hooks-none.mjs'), 'export const afterEscalate = () => {};\n');
    await writeFile(path.join(dir, 'escalate-none.mjs'), 'export const main = async () => ({ body: null, errors: [] });\n');
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as { port: number }).port;
    try {
      const serve = (...args: string[]) => runCli(['serve', '--port', '0', '--data', path.join(dir, 'data'), ...args], { launcher: 'bin' });
      const [targets, srn, typo, none, handler, port] = await Promise.all([
        serve('--targets', path.join(dir, 'targets-bad.json')),
        serve('--targets', path.join(dir, 'targets-srn.json')),
        serve('--hooks', path.join(dir, 'hooks-typo.mjs')),
        serve('--hooks', path.join(dir, 'hooks-none.mjs')),
        serve('--escalate', path.join(dir, 'escalate-none.mjs')),
        runCli(['serve', '--port', String(taken), '--data', path.join(dir, 'data-2')], { launcher: 'bin' }),
      ]);
      expect(targets).toMatchObject({ code: 1, stdout: '' });
      expect(targets.stderr).toBe(
        `lambda-escalation: targets file ${path.join(dir, 'targets-bad.json')} is invalid: [0]: Unrecognized key(s) in object: 'lable'; ` +
          'expected a JSON array of { "srn": "<org>:access_target:<type>:<slug>:<version>", "label"?: string, "settings"?: object }\n',
      );
      expect(srn).toMatchObject({ code: 1, stdout: '' });
      expect(srn.stderr).toMatch(new RegExp(`^lambda-escalation: targets file ${path.join(dir, 'targets-srn.json')}: \\[0\\]\\.srn: `));
      expect(typo).toMatchObject({ code: 1, stdout: '' });
      expect(typo.stderr).toBe(
        `lambda-escalation: hooks module ${path.join(dir, 'hooks-typo.mjs')} has an unknown member "afterEscalte": hooks are ` +
          'onPrompt, afterPrompt, onRequest, afterRequest, onApprove, afterApprove, onDeny, afterDeny, onEscalate, afterEscalate, onDeescalate, afterDeescalate, getPermissions\n',
      );
      expect(none.stderr).toBe(
        `lambda-escalation: hooks module ${path.join(dir, 'hooks-none.mjs')} has no default export (it exports afterEscalate); write \`export default defineHooks({ afterEscalate(event) { … } })\`\n`,
      );
      expect(handler).toMatchObject({ code: 1, stdout: '' });
      expect(handler.stderr).toContain(`module ${path.join(dir, 'escalate-none.mjs')} has no export "handler"; its exports are: "main"`);
      expect(port).toMatchObject({ code: 1 });
      expect(port.stderr).toBe(`lambda-escalation: port ${taken} on 127.0.0.1 is in use (is another serve running?): pass another --port\n`);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
