// npm run gpp-fixtures -- <iabgpp-es checkout>: writes tests/fixtures/gpp-iab.json,
// the GPP and US section strings of the IAB's own library's tests
// (modules/cmpapi/test of github.com/IABTechLab/iabgpp-es), each with what
// that library (@iabgpp/cmpapi, the version in package.json) decodes from
// it, or null where it refuses the string. tests/e2e/gpp.test.mjs checks
// that Consentry's decoder reads each the same.
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as gpp from "@iabgpp/cmpapi";

const root = process.argv[2];
if (!root) throw new Error("usage: node scripts/gpp-fixtures.mjs <path of an iabgpp-es checkout>");
const dir = join(root, "modules/cmpapi/test");
const files = [join(dir, "GppModel.test.ts"), ...readdirSync(join(dir, "encoder/section")).filter((f) => /^Us/.test(f)).map((f) => join(dir, "encoder/section", f))];
const cases = new Map();
for (const file of files) {
  const text = readFileSync(file, "utf8");
  // Whole GPP strings: a header (it starts with D) and sections.
  for (const [, s] of text.matchAll(/"(D[A-Za-z0-9_-]+~[A-Za-z0-9_.~-]*)"/g)) cases.set(`gpp:${s}`, { gpp: s });
  // A section's own string: new UsCa("..."), as the tests construct them.
  for (const [, cls, s] of text.matchAll(/new (Us[A-Za-z]+)\("([A-Za-z0-9_.-]+)"\)/g)) {
    const name = gpp[cls]?.NAME;
    if (name) cases.set(`${name}:${s}`, { section: name, string: s });
  }
}
const out = [];
for (const c of cases.values()) {
  let decoded = null;
  try {
    if (c.gpp) {
      const model = new gpp.GppModel(c.gpp);
      decoded = { sectionList: model.getSectionIds(), parsedSections: model.toObject() };
    } else {
      const cls = Object.values(gpp).find((v) => v && v.NAME === c.section);
      decoded = new cls(c.string).toObj();
    }
  } catch (e) {
    decoded = null;
  }
  out.push({ ...c, decoded });
}
writeFileSync("tests/fixtures/gpp-iab.json", JSON.stringify(out, null, 1) + "\n");
console.log(`tests/fixtures/gpp-iab.json: ${out.length} strings, ${out.filter((c) => c.decoded).length} decoded`);
