import { execFile } from 'node:child_process';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build, type Metafile } from 'esbuild';
import { median, table } from './bench-stack.js';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface ColdStartResult {
  readonly bundleBytes: number;
  readonly initMs: number;
  readonly report: string;
}

/** `node_modules/a/b/x.js` → `a`, `node_modules/@s/p/x.js` → `@s/p`, our files by folder. */
function owner(input: string): string {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
  if (m) return m[1] as string;
  return input.replace(/^.*?(lambda\/[^/]+)\/.*$/, '$1 (ours)');
}

/** ms from start to the end of `import()` of `specifier`, in a fresh node, `count` times. */
async function importTimes(cwd: string, specifier: string, count: number): Promise<number[]> {
  const script = `const t = performance.now(); await import(${JSON.stringify(specifier)}); process.stdout.write(String(performance.now() - t));`;
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const { stdout } = await run(process.execPath, ['--no-warnings', '--input-type=module', '-e', script], { cwd });
    times.push(Number(stdout));
  }
  return times;
}

/**
 * Bundles the dispatcher as the stack does (the example hooks, esbuild, node22 ESM,
 * minified, the AWS SDK external as the Lambda runtime provides it), then times its
 * module init in fresh node processes, and the SDK clients' init alone, for what dominates.
 */
export async function coldStart(samples = 7): Promise<ColdStartResult> {
  const dir = await mkdtemp(path.join(tmpdir(), 'lambda-escalation-bench-'));
  try {
    const entry = path.join(dir, 'entry.ts');
    await writeFile(
      entry,
      [
        `import hooks from ${JSON.stringify(path.join(ROOT, 'lambda/examples/hooks.ts'))};`,
        `import { createHandler } from ${JSON.stringify(path.join(ROOT, 'lambda/handler.ts'))};`,
        'export const handler = createHandler(hooks);',
      ].join('\n'),
    );
    const outfile = path.join(dir, 'index.mjs');
    const result = await build({
      entryPoints: [entry],
      outfile,
      bundle: true,
      platform: 'node',
      target: 'node22',
      format: 'esm',
      minify: true,
      external: ['@aws-sdk/*'],
      mainFields: ['module', 'main'],
      metafile: true,
      // The same shim the construct adds: bundled CommonJS may require() node builtins.
      banner: { js: "import { createRequire as __lambdaEscalationCreateRequire } from 'node:module'; const require = __lambdaEscalationCreateRequire(import.meta.url);" },
      logLevel: 'silent',
    });
    // The runtime provides @aws-sdk/*; here the project's node_modules stands in for it.
    await symlink(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
    const metafile: Metafile = result.metafile;
    const output = metafile.outputs[path.relative(process.cwd(), outfile)] ?? Object.values(metafile.outputs)[0]!;
    const bytes = output.bytes;
    const byOwner = new Map<string, number>();
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) byOwner.set(owner(input), (byOwner.get(owner(input)) ?? 0) + bytesInOutput);
    const top = [...byOwner].sort((a, b) => b[1] - a[1]).slice(0, 8);
    const sdk = [...new Set(output.imports.filter((i) => i.external && i.path.startsWith('@aws-sdk/')).map((i) => i.path))];

    const bundleTimes = await importTimes(dir, './index.mjs', samples);
    const sdkScript = path.join(dir, 'sdk-only.mjs');
    await writeFile(sdkScript, sdk.map((s) => `import ${JSON.stringify(s)};`).join('\n'));
    const sdkTimes = await importTimes(dir, './sdk-only.mjs', samples);
    const initMs = median(bundleTimes);
    const sdkMs = median(sdkTimes);
    const report = [
      `Cold start: dispatcher bundle (lambda/handler.ts + lambda/examples/hooks.ts; esbuild node22 esm minify, @aws-sdk/* external)`,
      `bundle size: ${bytes} bytes (${(bytes / 1024).toFixed(1)} KiB) minified`,
      table([['top contributors', 'bytes in bundle', 'share'], ...top.map(([name, b]) => [name, b, `${((100 * b) / bytes).toFixed(1)}%`])]),
      `external SDK packages loaded at init: ${sdk.join(', ')}`,
      `module init (import() in a fresh node ${process.version}, median of ${samples}): ${initMs.toFixed(1)} ms, importing the four external @aws-sdk clients alone takes ${sdkMs.toFixed(1)} ms, so the SDK dominates and the bundle's own code adds about ${Math.max(0, initMs - sdkMs).toFixed(1)} ms (within noise)`,
    ].join('\n');
    return { bundleBytes: bytes, initMs, report };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
