// Runs a bundled dispatcher as Lambda would, in a fresh Node process: imports the bundle,
// then calls its handler once for each JSON event read from stdin (one per line), writing
// each result (or error) as one JSON line prefixed with RESULT so log lines can interleave.
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';

const { handler } = await import(pathToFileURL(process.argv[2]).href);
for await (const line of createInterface({ input: process.stdin })) {
  if (!line.trim()) continue;
  try {
    process.stdout.write(`RESULT ${JSON.stringify({ ok: await handler(JSON.parse(line), {}) })}\n`);
  } catch (error) {
    process.stdout.write(`RESULT ${JSON.stringify({ error: String(error) })}\n`);
  }
}
