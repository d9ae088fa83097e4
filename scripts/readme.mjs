// The README's generated sections: each sits between two HTML comments,
// is written by the script that makes its figures, and `npm test` checks
// that it is still what the script would write (tests/e2e/package.test.mjs).
import { readFileSync, writeFileSync } from "node:fs";

const FILE = new URL("../README.md", import.meta.url);

// The text between `markers` in README.md, trimmed.
export function readSection([start, end]) {
  const readme = readFileSync(FILE, "utf8");
  const [a, b] = [readme.indexOf(start), readme.indexOf(end)];
  if (a < 0 || b < a) throw new Error(`README.md has no ${start} … ${end}`);
  return readme.slice(a + start.length, b).trim();
}

// Replaces the text between `markers` in README.md with `text`.
export function writeSection([start, end], text) {
  readSection([start, end]);
  const readme = readFileSync(FILE, "utf8");
  writeFileSync(FILE, readme.slice(0, readme.indexOf(start) + start.length) + "\n" + text + "\n" + readme.slice(readme.indexOf(end)));
}
