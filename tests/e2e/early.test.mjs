// The snippet's early answer against the gate: on 10,000 generated
// (configuration, stored record) pairs, GPC on and off, revisions, corrupt
// and foreign records, the snippet's isApproved (js/stub.js, as the inline
// snippet builds it) never says true where the gate's engine (the shipped
// dist/consentry_bg.wasm, started as js/facade.js starts it) does not
// approve at start.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { initSync, gate } from "../../build/consentry.js";
import { configText } from "../../js/facade.js";
import { stub } from "../../js/stub.js";

const ADOBE = ["aam", "adcloud", "aa", "campaign", "ecid", "livefyre", "target", "mediaaa"];
const START = 0;

// xorshift, seeded: the same pairs every run.
let seed = 0x2545f491;
const next = (n) => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) % n;
};
const pick = (items) => items[next(items.length)];
const sometimes = (p) => next(100) < p;

function config() {
  // Half the time the one shape the snippet answers early for, perhaps
  // with one slip; else anything.
  if (sometimes(50)) {
    const c = { doesOptInApply: true, isOptInStorageEnabled: true };
    if (sometimes(40)) Object.assign(c, pick([{ revision: 0 }, { revision: 1 }, { doesOptInApply: "true" }, { storage: "cookie" }, { gpc: { sale: ["aa"] } }, { categories: ["sms"] }, { revision: 1.5 }]));
    return c;
  }
  const c = {};
  const set = (key, values, p = 25) => sometimes(p) && (c[key] = pick(values));
  set("doesOptInApply", [true, true, true, false, "true", 1, () => true], 85);
  set("isOptInStorageEnabled", [true, true, true, false, "true"], 85);
  set("revision", [0, 1, 2, null, -1, 1.5, "1", -0]);
  set("storage", ["cookie", "localStorage", null, ""], 15);
  set("categories", [["sms"], ["aa"], ["Bad"], null, "sms", []], 15);
  set("preOptInApprovals", [{ aa: true }, '{"ecid":true}', 5], 10);
  set("previousPermissions", [{ aa: false }, { aa: true }, "nope"], 10);
  set("gpc", [{ sale: ["aa", "aam"] }, { sale: ["nope"] }, { sharing: ["target"] }], 15);
  set("consentMode", [{ ad_storage: ["aam"] }, { ad_storage: [] }], 10);
  set("optInStorageExpiry", [60, "NONE", "SESSION", "week"], 10);
  set("cookies", [{ aa: ["_ga*"] }, { nope: ["x"] }], 5);
  set("tcf", [{ timeout: -1 }, {}, { rules: { aa: { purposes: [1] } } }], 5);
  set("unknownKey", [1], 5);
  if (sometimes(3)) Object.defineProperty(c, "revision", { value: 5, enumerable: false });
  return c;
}

function record() {
  const members = [];
  for (const cat of ADOBE) {
    if (sometimes(70)) members.push(`"${cat}":${pick(["true", "true", "false", '"yes"', "1", "null"])}`);
  }
  if (sometimes(10)) members.push(`"aa":${pick(["true", "false"])}`); // a repeated key
  if (sometimes(20)) members.push(`"iabConsentHash":${pick(['"h1"', "1.5", "-0", "1e3", "[[[1]]]", "[".repeat(40) + "]".repeat(40), "{}"])}`);
  // A consent id as the shell makes them: 32 hex digits (so "1e", "2e"...).
  const id = `"${Array.from({ length: 32 }, () => "0123456789abcdef"[next(16)]).join("")}"`;
  if (sometimes(45)) {
    members.push(`"consentry":{"v":1,"rev":${pick(["0", "2"])},"time":1700000000000,"id":${pick([id, '"abc"'])}${pick(["", ',"gpc":true'])}}`);
  } else if (sometimes(85)) {
    const meta = [
      `"v":${pick(["1", "1", "1", "2", "1.0", '"1"', "0", "1e0"])}`,
      `"rev":${pick(["0", "0", "1", "3", "-0", "1.0", "4294967295", "4294967296", '"1"'])}`,
      `"time":${pick(["1700000000000", "1700000000000", "1.7e12", "-1", "9007199254740993", '"5"', "0"])}`,
      `"id":${pick([id, '"abc"', `"${"x".repeat(65)}"`, '"é"', "5", "null", '"a\\"b"', '"1.5e3"'])}`,
    ].filter(() => sometimes(93));
    if (sometimes(20)) meta.push('"gpc":true');
    members.push(`"consentry":${sometimes(95) ? `{${meta}}` : pick(["null", "[]", '"x"', "1"])}`);
  }
  let text = `{${members}}`;
  if (sometimes(8)) text = text.slice(0, next(text.length)); // truncated
  if (sometimes(4)) text = pick([`[${text}]`, "null", "true", '"{\\"aa\\":true}"', "", "\ud800{}"]);
  return text;
}

test("the snippet's early answer never approves a category the gate does not approve at start", (t) => {
  initSync({ module: readFileSync(new URL("../../dist/consentry_bg.wasm", import.meta.url)) });
  globalThis.GCM = false;
  globalThis.EARLY = true;
  let early = 0, pairs = 0;
  for (; pairs < 10_000; pairs++) {
    const c = config(), text = record(), gpc = sometimes(50);
    // The cookie's value as Consentry writes it (a lone surrogate cannot be
    // percent-encoded: then as it is), and what the facade reads from it.
    let value = text, read;
    try {
      value = encodeURIComponent(text);
    } catch (_) {}
    try {
      read = decodeURIComponent(value);
    } catch (_) {
      read = false;
    }
    // The snippet, on a page whose cookie holds the record.
    const w = {};
    stub(w, { cookie: `_ga=1; adobeujs-optin=${value}; x=2` }, "/consentry/", c, 0);
    // The gate, as the facade starts it (a configuration it cannot read
    // never starts: nothing is approved).
    let approved = {};
    try {
      const answer = JSON.parse(gate(START, `[${configText(c, [])},${gpc},"0123","www.example.com",${JSON.stringify([read, null, null])}]`, 1.8e12));
      if (!answer.error) approved = answer.permissions;
    } catch (_) {}
    const names = ADOBE.concat(Array.isArray(c.categories) ? c.categories : [], ["toString", "__proto__", "consentry"]);
    for (const name of names) {
      const snippet = w.consentry.isApproved(name);
      assert.equal(typeof snippet, "boolean");
      if (snippet) {
        early++;
        assert.equal(approved[name], true, `the snippet approved ${name} early, the gate does not:\nconfig ${JSON.stringify(c)} (gpc ${gpc})\nrecord ${text}`);
      }
    }
  }
  assert.equal(pairs, 10_000);
  // Not vacuous: the snippet does answer early on the pairs it can be sure of.
  assert.ok(early > 500, `${early} early approvals`);
  t.diagnostic(`${pairs} pairs, ${early} early approvals, none the gate does not make`);
});

test("the early answer is in the inline snippet only", () => {
  const read = (file) => readFileSync(new URL(`../../dist/${file}`, import.meta.url), "utf8");
  assert.match(read("snippet.min.js"), /adobeujs-optin=/);
  assert.doesNotMatch(read("snippet-consent-mode.min.js"), /adobeujs-optin=/);
  assert.doesNotMatch(read("consentry.js"), /adobeujs-optin=\(/, "the bundles leave it out");
});
