import { readFileSync } from "node:fs";
const b = readFileSync(process.argv[2]);
let p = 8;
const u = () => { let r = 0, s = 0, x; do { x = b[p++]; r |= (x & 127) << s; s += 7; } while (x & 128); return r >>> 0; };
const sections = [];
let imports = 0, bodies = [], names = new Map(), dataSize = 0;
while (p < b.length) {
  const id = b[p++]; const len = u(); const start = p;
  if (id === 2) { const n = u(); for (let i = 0; i < n; i++) { let l = u(); p += l; l = u(); p += l; const k = b[p++]; if (k === 0) { u(); imports++; } else if (k === 1) { p++; const f = b[p++]; u(); if (f & 1) u(); } else if (k === 2) { const f = b[p++]; u(); if (f & 1) u(); } else { p += 2; } } }
  if (id === 10) { const n = u(); for (let i = 0; i < n; i++) { const l = u(); bodies.push(l); p += l; } }
  if (id === 11) dataSize = len;
  if (id === 0) { const nl = u(); const name = b.slice(p, p + nl).toString(); p += nl; if (name === "name") { while (p < start + len) { const sub = b[p++]; const sl = u(); const ss = p; if (sub === 1) { const n = u(); for (let i = 0; i < n; i++) { const idx = u(); const l = u(); names.set(idx, b.slice(p, p + l).toString()); p += l; } } p = ss + sl; } } }
  sections.push([id, len]);
  p = start + len;
}
console.log("sections", sections.map(([i, l]) => `${i}:${l}`).join(" "), "data", dataSize);
const fns = bodies.map((l, i) => [l, names.get(i + imports) || `f${i + imports}`]).sort((a, b) => b[0] - a[0]);
const total = bodies.reduce((a, b) => a + b, 0);
console.log("code total", total, "functions", bodies.length);
for (const [l, n] of fns.slice(0, +process.argv[3] || 40)) console.log(String(l).padStart(7), n.slice(0, 140));
