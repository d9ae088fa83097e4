// npm run size: raw, gzip and brotli bytes of every shipped file. A page
// downloads the wasm, one JS build and the snippet; their brotli total must
// stay at or below the budget (exit 1 above it).
import { readFileSync, readdirSync } from "node:fs";
import { gzipSync, brotliCompressSync, constants } from "node:zlib";

const BUDGET = 40 * 1024;
const TARGET = 20 * 1024;
const PAGE = ["consentry_bg.wasm", "consentry.js", "snippet.min.js"];
// Loaded on top only by pages that render the phone form, or use IAB TCF.
const MODULES = [
  ["form module", "page with the form", ["consentry-form_bg.wasm", "consentry-form.mjs", "consentry-form.css"]],
  ["TCF module", "page with TCF", ["consentry-iab_bg.wasm", "consentry-iab.mjs"]],
];
const rows = readdirSync("dist").sort().map((name) => {
  const raw = readFileSync(`dist/${name}`);
  const brotli = brotliCompressSync(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
  return { name, raw: raw.length, gzip: gzipSync(raw, { level: 9 }).length, brotli };
});
const pad = (s, n) => String(s).padStart(n);
const line = (label, files) => {
  const picked = rows.filter((r) => files.includes(r.name));
  const sum = (k) => picked.reduce((a, r) => a + r[k], 0);
  console.log(`${label.padEnd(22)}${pad(sum("raw"), 9)}${pad(sum("gzip"), 9)}${pad(sum("brotli"), 9)}`);
  return sum("brotli");
};
console.log(`${"file".padEnd(22)}${pad("raw", 9)}${pad("gzip", 9)}${pad("brotli", 9)}`);
for (const r of rows) console.log(`${r.name.padEnd(22)}${pad(r.raw, 9)}${pad(r.gzip, 9)}${pad(r.brotli, 9)}`);
const missing = [...PAGE, ...MODULES.flatMap((m) => m[2])].filter((name) => !rows.some((r) => r.name === name));
if (missing.length) {
  console.error(`missing from dist/: ${missing.join(", ")} (run npm run build)`);
  process.exit(1);
}
const page = line("page total", PAGE);
for (const [label, withLabel, files] of MODULES) {
  line(label, files);
  line(withLabel, [...PAGE, ...files]);
}
console.log(`page total brotli: ${page} bytes (target ${TARGET}, budget ${BUDGET})`);
if (page > BUDGET) {
  console.error(`size budget exceeded: ${page} > ${BUDGET} bytes brotli`);
  process.exit(1);
}
