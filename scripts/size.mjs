// npm run size: raw, gzip and brotli bytes of every shipped file. A page
// downloads the wasm, one JS build and the snippet; their brotli total must
// stay at or below the budget (exit 1 above it).
import { readFileSync, readdirSync } from "node:fs";
import { gzipSync, brotliCompressSync, constants } from "node:zlib";

const BUDGET = 40 * 1024;
const TARGET = 20 * 1024;
const PAGE = ["consentry_bg.wasm", "consentry.js", "snippet.min.js"];
// Loaded on top only by pages that render the phone form.
const FORM = ["consentry-form_bg.wasm", "consentry-form.mjs"];
const rows = readdirSync("dist").sort().map((name) => {
  const raw = readFileSync(`dist/${name}`);
  const brotli = brotliCompressSync(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
  return { name, raw: raw.length, gzip: gzipSync(raw, { level: 9 }).length, brotli };
});
const pad = (s, n) => String(s).padStart(n);
console.log(`${"file".padEnd(22)}${pad("raw", 9)}${pad("gzip", 9)}${pad("brotli", 9)}`);
for (const r of rows) console.log(`${r.name.padEnd(22)}${pad(r.raw, 9)}${pad(r.gzip, 9)}${pad(r.brotli, 9)}`);
const page = rows.filter((r) => PAGE.includes(r.name));
const missing = [...PAGE, ...FORM].filter((name) => !rows.some((r) => r.name === name));
if (missing.length) {
  console.error(`missing from dist/: ${missing.join(", ")} (run npm run build)`);
  process.exit(1);
}
const sum = (k) => page.reduce((a, r) => a + r[k], 0);
console.log(`${"page total".padEnd(22)}${pad(sum("raw"), 9)}${pad(sum("gzip"), 9)}${pad(sum("brotli"), 9)}`);
const form = rows.filter((r) => FORM.includes(r.name));
const formSum = (k) => form.reduce((a, r) => a + r[k], 0);
console.log(`${"form module".padEnd(22)}${pad(formSum("raw"), 9)}${pad(formSum("gzip"), 9)}${pad(formSum("brotli"), 9)}`);
console.log(`${"page with the form".padEnd(22)}${pad(sum("raw") + formSum("raw"), 9)}${pad(sum("gzip") + formSum("gzip"), 9)}${pad(sum("brotli") + formSum("brotli"), 9)}`);
console.log(`page total brotli: ${sum("brotli")} bytes (target ${TARGET}, budget ${BUDGET})`);
if (sum("brotli") > BUDGET) {
  console.error(`size budget exceeded: ${sum("brotli")} > ${BUDGET} bytes brotli`);
  process.exit(1);
}
