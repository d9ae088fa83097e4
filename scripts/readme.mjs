// The documentation's generated sections: each sits between two HTML
// comments in a file of docs/ (or the README), is written by the script
// that makes its figures, and `npm test` checks that it is still what the
// script would write (tests/e2e/package.test.mjs).
import { readFileSync, writeFileSync } from "node:fs";

// Where the size, benchmark and load tables are.
export const PERFORMANCE = new URL("../docs/performance.md", import.meta.url);

// The text between `markers` in `file`, trimmed.
export function readSection([start, end], file = PERFORMANCE) {
  const text = readFileSync(file, "utf8");
  const [a, b] = [text.indexOf(start), text.indexOf(end)];
  if (a < 0 || b < a) throw new Error(`${file.pathname} has no ${start} … ${end}`);
  return text.slice(a + start.length, b).trim();
}

// Replaces the text between `markers` in `file` with `text`.
export function writeSection([start, end], text, file = PERFORMANCE) {
  readSection([start, end], file);
  const old = readFileSync(file, "utf8");
  writeFileSync(file, old.slice(0, old.indexOf(start) + start.length) + "\n" + text + "\n" + old.slice(old.indexOf(end)));
}
