// Parses Mermaid texts with Mermaid's own parser (mermaid.parse): reads one JSON string (a diagram) per stdin line
// and answers each with one line, {ok, diagramType} or {ok: false, error}. One process serves a whole test file:
// loading jsdom and Mermaid costs seconds of CPU, a parse milliseconds. Run as a plain Node process: Mermaid is
// ESM that expects a DOM (DOMPurify sanitizes labels while parsing), which jsdom provides; jest's VM modules are
// kept out of it.
import { createInterface } from 'node:readline';
import { JSDOM } from 'jsdom';

const { window } = new JSDOM('');
globalThis.window = window;
globalThis.document = window.document;
const { default: mermaid } = await import('mermaid');

for await (const line of createInterface({ input: process.stdin })) {
  if (!line) continue;
  let answer;
  try {
    const result = await mermaid.parse(JSON.parse(line));
    answer = { ok: true, diagramType: result.diagramType };
  } catch (error) {
    answer = { ok: false, error: String(error?.message ?? error).split('\n')[0] };
  }
  process.stdout.write(`${JSON.stringify(answer)}\n`);
}
