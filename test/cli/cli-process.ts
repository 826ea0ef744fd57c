// Runs the CLI as a user would: a child process, through tsx (or the package's bin shim).
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TSX = path.join(REPO, 'node_modules/.bin/tsx');
const CLI_TS = path.join(REPO, 'bin/cli.ts');
const CLI_JS = path.join(REPO, 'bin/cli.js');

/** How the CLI is started: `tsx bin/cli.ts` (as `npm start` does) or `node bin/cli.js` (the package's bin). */
export type Launcher = 'tsx' | 'bin';

function command(launcher: Launcher, args: readonly string[]): [string, string[]] {
  return launcher === 'tsx' ? [TSX, [CLI_TS, ...args]] : [process.execPath, [CLI_JS, ...args]];
}

/** A free loopback port: listen on 0, read it, close. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs one CLI command to its end; through the package's bin by default (one process, so quicker than tsx's two). */
export async function runCli(args: readonly string[], options: { launcher?: Launcher; timeoutMs?: number; cwd?: string } = {}): Promise<CliResult> {
  const [file, argv] = command(options.launcher ?? 'bin', args);
  const child = spawn(file, argv, { cwd: options.cwd ?? REPO, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const timeoutMs = options.timeoutMs ?? 30_000;
  const timer = setTimeout(() => killGroup(child, 'SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** A `serve` (or other long-running command) in the background. */
export class CliProcess {
  public stdout = '';
  public stderr = '';
  private readonly child: ChildProcess;
  private readonly exited: Promise<number | null>;

  public constructor(args: readonly string[], launcher: Launcher = 'tsx', file?: string) {
    const [cmd, argv] = file ? [file, [...args]] : command(launcher, args);
    // Its own process group: tsx runs the CLI in a child node, and cleanup must reach both.
    this.child = spawn(cmd, argv, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.child.stdout?.on('data', (chunk: Buffer) => (this.stdout += chunk.toString('utf8')));
    this.child.stderr?.on('data', (chunk: Buffer) => (this.stderr += chunk.toString('utf8')));
    this.exited = new Promise((resolve) => this.child.once('close', (code) => resolve(code)));
  }

  /** Resolves with the first stdout line matching `pattern`; rejects if the process exits first or after `timeoutMs`. */
  public async waitForLine(pattern: RegExp, timeoutMs = 20_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let done = false;
    void this.exited.then(() => (done = true));
    for (;;) {
      const line = this.stdout.split('\n').find((l) => pattern.test(l));
      if (line !== undefined) return line;
      if (done) throw new Error(`process exited before printing ${pattern}:\n${this.stdout}\n${this.stderr}`);
      if (Date.now() > deadline) throw new Error(`no line matching ${pattern} within ${timeoutMs} ms:\n${this.stdout}\n${this.stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /** Sends `signal` and waits for the exit code. */
  public async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 10_000): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.exited;
    // SIGTERM goes to the CLI only (tsx relays it), so what it does on a signal is what is tested.
    if (signal === 'SIGKILL') killGroup(this.child, 'SIGKILL');
    else this.child.kill(signal);
    const timer = setTimeout(() => killGroup(this.child, 'SIGKILL'), timeoutMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  /** For afterEach: whatever state it is in, nothing of it is left running. */
  public async kill(): Promise<void> {
    killGroup(this.child, 'SIGKILL');
    await this.exited;
  }
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is gone already.
  }
}
