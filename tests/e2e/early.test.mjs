// The snippet's early answer against the gate: on 10,000 generated
// (configuration, cookies) pairs, GPC on and off, revisions, corrupt,
// missing and foreign values of the record's two cookies, the snippet's isApproved (js/stub.js, as the inline
// snippet builds it) never says true where the gate's engine (the shipped
// dist/consentry_bg.wasm, started as js/facade.js starts it) does not
// approve at start.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { initSync, gate } from "../../build/consentry.js";
import { configText, places } from "../../js/facade.js";
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

// Adobe's value: its categories, memoized content, now and then a site's
// category or format 1's "consentry" member (both Consentry's, not Adobe's).
function adobeText(id) {
  const members = [];
  for (const cat of ADOBE) {
    if (sometimes(70)) members.push(`"${cat}":${pick(["true", "true", "false", '"yes"', "1", "null"])}`);
  }
  if (sometimes(10)) members.push(`"aa":${pick(["true", "false"])}`); // a repeated key
  if (sometimes(20)) members.push(`"iabConsentHash":${pick(['"h1"', "1.5", "-0", "1e3", "[[[1]]]", "[".repeat(40) + "]".repeat(40), "{}"])}`);
  if (sometimes(5)) members.push(`"sms":${pick(["true", "false"])}`);
  if (sometimes(5)) members.push(`"consentry":{"v":1,"rev":0,"time":1700000000000,"id":${id}}`);
  return corrupt(`{${members}}`);
}

// Consentry's value: mostly as Consentry writes it, else any field off.
function ownText(id) {
  if (sometimes(50)) {
    return corrupt(`{"v":2,"rev":${pick(["0", "0", "2"])},"time":1700000000000,"id":${pick([id, '"abc"'])}${pick(["", ',"gpc":true'])},"choice":${pick(["{}", '{"sms":true}', '{"aa":false}'])}}`);
  }
  if (sometimes(10)) return pick(["null", "[]", '"x"', "1", ""]);
  const meta = [
    `"v":${pick(["2", "2", "2", "1", "3", "2.0", '"2"', "2e0"])}`,
    `"rev":${pick(["0", "0", "1", "-0", "0.0", "4294967296", '"0"', "null"])}`,
    `"time":${pick(["1700000000000", "1700000000000", "1.7e12", "-1", "9007199254740993", '"5"', "0"])}`,
    `"id":${pick([id, '"abc"', `"${"x".repeat(65)}"`, '"é"', "5", "null", '"a\\"b"', '"1.5e3"'])}`,
    `"choice":${pick(["{}", '{"aa":false}', '{"aa":true}', "[]", "null", '{"sms":"yes"}', "[".repeat(40) + "]".repeat(40)])}`,
  ].filter(() => sometimes(93));
  if (sometimes(20)) meta.push('"gpc":true');
  return corrupt(`{${meta}}`);
}

function corrupt(text) {
  if (sometimes(6)) text = text.slice(0, next(text.length)); // truncated
  if (sometimes(3)) text = pick([`[${text}]`, "null", "true", '"{\\"aa\\":true}"', "", "\ud800{}"]);
  return text;
}

// A value as Consentry writes it into a cookie (a lone surrogate cannot be
// percent-encoded: then as it is).
function cookieValue(text) {
  try {
    return encodeURIComponent(text);
  } catch (_) {
    return text;
  }
}

// The page's cookies: both of the record's values (each now and then
// missing), among others, now and then a look-alike or a second
// "consentry" cookie after the first.
function jar() {
  // A consent id as the shell makes them: 32 hex digits (so "1e", "2e"...).
  const id = `"${Array.from({ length: 32 }, () => "0123456789abcdef"[next(16)]).join("")}"`;
  const [adobe, own] = [adobeText(id), ownText(id)];
  const cookies = ["_ga=1"];
  if (sometimes(5)) cookies.push(`my-consentry=${cookieValue(ownText(id))}`);
  if (sometimes(93)) cookies.push(`adobeujs-optin=${cookieValue(adobe)}`);
  cookies.push("x=2");
  if (sometimes(90)) cookies.push(`consentry=${cookieValue(own)}`);
  if (sometimes(5)) cookies.push(`consentry=${cookieValue(ownText(id))}`);
  if (sometimes(50)) cookies.reverse();
  return { cookie: cookies.join("; "), adobe, own };
}

test("the snippet's early answer never approves a category the gate does not approve at start", (t) => {
  initSync({ module: readFileSync(new URL("../../dist/consentry_bg.wasm", import.meta.url)) });
  globalThis.GCM = false;
  globalThis.EARLY = true;
  let early = 0, pairs = 0;
  for (; pairs < 10_000; pairs++) {
    const c = config(), page = jar(), gpc = sometimes(50);
    // The snippet, on a page with these cookies.
    const w = {};
    stub(w, { cookie: page.cookie }, "/consentry/", c, 0);
    // The gate, as the facade starts it, with what the facade reads from
    // the same cookies (a configuration it cannot read never starts:
    // nothing is approved).
    globalThis.document = { cookie: page.cookie };
    let approved = {};
    try {
      const answer = JSON.parse(gate(START, `[${configText(c, [])},${gpc},"0123","www.example.com",${JSON.stringify(places(false))}]`, 1.8e12));
      if (!answer.error) approved = answer.permissions;
    } catch (_) {}
    const names = ADOBE.concat(Array.isArray(c.categories) ? c.categories : [], ["toString", "__proto__", "consentry"]);
    for (const name of names) {
      const snippet = w.consentry.isApproved(name);
      assert.equal(typeof snippet, "boolean");
      if (snippet) {
        early++;
        assert.equal(approved[name], true, `the snippet approved ${name} early, the gate does not:\nconfig ${JSON.stringify(c)} (gpc ${gpc})\ncookies ${page.cookie}`);
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
  const reader = /"\(\^\|; \)"/;
  assert.match(read("snippet.min.js"), reader);
  assert.doesNotMatch(read("snippet-consent-mode.min.js"), reader);
  assert.doesNotMatch(read("consentry.js"), reader, "the bundles leave it out");
});
