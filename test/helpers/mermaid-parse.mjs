// Parses Mermaid text from stdin with Mermaid's own parser (mermaid.parse) and prints {ok, diagramType} or
// {ok: false, error}. Run as a plain Node process: Mermaid is ESM that expects a DOM (DOMPurify sanitizes labels
// while parsing), which jsdom provides; jest's VM modules are kept out of it.
import { JSDOM } from 'jsdom';

const { window } = new JSDOM('');
globalThis.window = window;
globalThis.document = window.document;
const { default: mermaid } = await import('mermaid');

let text = '';
for await (const chunk of process.stdin) text += chunk;
try {
  const result = await mermaid.parse(text);
  process.stdout.write(JSON.stringify({ ok: true, diagramType: result.diagramType }));
} catch (error) {
  process.stdout.write(JSON.stringify({ ok: false, error: String(error?.message ?? error).split('\n')[0] }));
}
