// The snippet's answer at parse time against the gate: on 24,000 generated
// (configuration, stored record, GPC) triples, among them corrupt, foreign,
// expired and older-revision records in cookies and in localStorage, the
// snippet (js/stub.js as the inline snippet builds it) either gives no
// answer (everything denied, pending, as before it answered anything) or
// answers exactly what the gate's engine (the shipped dist/consentry_bg.wasm,
// started as js/facade.js starts it) answers at start: the same
// permissions and the same status. So it never approves a category the
// gate does not, and never reports a status the gate would not.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { bind } from "../../js/wasm-glue.js";
import { configText, places } from "../../js/facade.js";
import { stub } from "../../js/stub.js";

// The gate, as the shell calls it.
const { initSync, call: gate } = bind("gate");

const ADOBE = ["aam", "adcloud", "aa", "campaign", "ecid", "livefyre", "target", "mediaaa"];
const [START, APPROVE, DENY, MEMOIZE] = [0, 1, 2, 7];
const DAY = 86_400_000;
const LIFETIME = 34_190_000_000;

// xorshift, seeded: the same triples every run.
let seed = 0x2545f491;
const next = (n) => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) % n;
};
const pick = (items) => items[next(items.length)];
const sometimes = (p) => next(100) < p;
const some = (items, p) => items.filter(() => sometimes(p));

// The site categories a configuration may declare; three of them are
// names of Object.prototype's members.
const SITE = ["sms", "whatsapp", "analytics", "ads", "__proto__", "constructor", "toString"];

// A configuration of the keys the snippet answers for, each of a right
// value, now and then with one slip the gate refuses or reads otherwise.
function plain() {
  const c = {};
  const site = some(SITE, 25);
  const cats = ADOBE.concat(site);
  if (sometimes(85)) c.doesOptInApply = sometimes(85);
  if (sometimes(85)) c.isOptInStorageEnabled = sometimes(90);
  if (site.length || sometimes(10)) c.categories = site;
  if (sometimes(30)) c.revision = pick([0, 1, 2, 3]);
  if (sometimes(40)) c.storage = pick(["cookie", "localStorage"]);
  if (sometimes(40)) c.preOptInApprovals = Object.fromEntries(some(cats.concat(["nope"]), 15).map((n) => [n, sometimes(70)]));
  if (sometimes(40)) c.gpc = Object.fromEntries(some(["sale", "sharing"], 60).map((k) => [k, some(cats, 20)]));
  slipped = sometimes(20);
  if (slipped) slip(c);
  return c;
}

let slipped = false;
const SLIPS = {
  doesOptInApply: ["true", "false", "yes", 1, null, NaN, () => true, () => false],
  isOptInStorageEnabled: ["true", 1, null, Infinity],
  revision: [-1, 1.5, "1", 2 ** 32, 4294967295, null, NaN, -0, 1e21],
  storage: ["", "session", "LocalStorage", null, ["cookie"]],
  categories: [["Bad"], ["aa"], ["consentry"], ["sms", "sms"], "sms", [5], [null], ["x".repeat(65)], null, []],
  preOptInApprovals: ['{"aa":true}', { aa: "yes" }, { aa: 1 }, [true], null, { toString: true }, { __proto__: { aa: true } }],
  gpc: [{ sale: ["nope"] }, { other: ["aa"] }, { sale: "aa" }, { sale: null }, { sale: [] }, null, []],
  previousPermissions: [{ aa: true }, { aa: false }],
  optInStorageExpiry: [60, "NONE", "SESSION"],
  consentMode: [{ ad_storage: ["aam"] }],
  unknownKey: [1],
};

function slip(c) {
  const key = pick(Object.keys(SLIPS));
  c[key] = pick(SLIPS[key]);
  if (sometimes(10)) c[key] = undefined;
  if (sometimes(5)) Object.defineProperty(c, "revision", { value: 5, enumerable: false });
  if (sometimes(3)) Object.defineProperty(c, "doesOptInApply", { get: () => true, enumerable: true });
}

// Any configuration at all.
function any() {
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
  set("ui", [{ regions: { EU: "opt-in" } }], 5);
  set("unknownKey", [1], 5);
  return sometimes(2) ? pick([null, undefined, "x", [], 5]) : c;
}

// Adobe's value: its categories, memoized content, now and then a site's
// category or format 1's "consentry" member (both Consentry's, not Adobe's).
function adobeText(id) {
  const members = [];
  for (const cat of ADOBE) {
    if (sometimes(50)) members.push(`"${cat}":${pick(["true", "true", "false", '"yes"', "1", "null"])}`);
  }
  if (sometimes(10)) members.push(`"aa":${pick(["true", "false"])}`); // a repeated key
  if (sometimes(20)) members.push(`"iabConsentHash":${pick(['"h1"', "1.5", "-0", "1e3", "[[[1]]]", "[".repeat(40) + "]".repeat(40), "{}", '"\\u00e9"', '"a\\"b"'])}`);
  if (sometimes(5)) members.push(`"sms":${pick(["true", "false"])}`);
  if (sometimes(5)) members.push(`"consentry":{"v":1,"rev":0,"time":1700000000000,"id":${id}}`);
  return corrupt(`{${members}}`);
}

// Consentry's value: mostly as Consentry writes it, else any field off.
function ownText(id, now) {
  const time = pick([now - DAY, now - 400 * DAY, now - LIFETIME - DAY, now - LIFETIME + DAY / 2, now - LIFETIME + 2 * DAY, now + DAY]);
  const choice = () => `{${some(SITE.concat(["aa", "nope"]), 30).map((n) => `"${n}":${pick(["true", "false", '"yes"', "null"])}`)}}`;
  if (sometimes(60)) {
    return corrupt(`{"v":2,"rev":${pick(["0", "0", "1", "2"])},"time":${time},"id":${pick([id, id, '"abc"', `"${"x".repeat(65)}"`, `"${"é".repeat(40)}"`])}${pick(["", ',"gpc":true'])}${pick(["", "", ',"notice":true'])},"choice":${choice()}}`);
  }
  if (sometimes(10)) return pick(["null", "[]", '"x"', "1", ""]);
  const meta = [
    `"v":${pick(["2", "2", "2", "1", "3", "2.0", '"2"', "2e0"])}`,
    `"rev":${pick(["0", "0", "1", "-0", "0.0", "4294967296", '"0"', "null"])}`,
    `"time":${pick([String(time), String(time), "1.7e12", "-1", "9007199254740993", '"5"', "0"])}`,
    `"id":${pick([id, '"abc"', `"${"x".repeat(65)}"`, '"é"', "5", "null", '"a\\"b"', '"1.5e3"', '"\\ud800"'])}`,
    `"choice":${pick([choice(), "{}", '{"sms":true}', "[]", "null", '{"sms":"yes"}', "[".repeat(40) + "]".repeat(40)])}`,
  ].filter(() => sometimes(93));
  if (sometimes(20)) meta.push('"gpc":true');
  if (sometimes(10)) meta.push(pick(['"notice":true', '"notice":1', '"v":3', '"rev":0']));
  if (sometimes(10)) meta.reverse();
  return corrupt(`{${meta}}`);
}

function corrupt(text) {
  if (sometimes(6)) text = text.slice(0, next(text.length)); // truncated
  if (sometimes(3)) text = pick([`[${text}]`, "null", "true", '"{\\"aa\\":true}"', "", "\ud800{}", ` ${text}`]);
  return text;
}

// A value as Consentry writes it into a cookie (a lone surrogate cannot be
// percent-encoded: then as it is; now and then a broken escape).
function cookieValue(text, broken = sometimes(1)) {
  if (broken) return text + "%E0%A4%A";
  try {
    return encodeURIComponent(text);
  } catch (_) {
    return text;
  }
}

// Where the record is: the cookies (among others, now and then a look-alike
// or a second "consentry" cookie after the first), localStorage and
// sessionStorage, each of the two values now and then missing.
function stored(local, now, record) {
  // A consent id as the shell makes them: 32 hex digits (so "1e", "2e"...).
  const id = `"${Array.from({ length: 32 }, () => "0123456789abcdef"[next(16)]).join("")}"`;
  const values = () => record || [sometimes(85) ? adobeText(id) : null, sometimes(85) ? ownText(id, now) : null];
  const none = [null, null];
  // Mostly where the configuration keeps it; now and then elsewhere too.
  const [inCookies, inLocal, inSession] = sometimes(10) ? [none, none, none] : local ? [sometimes(10) ? values() : none, values(), sometimes(10) ? values() : none] : [values(), sometimes(10) ? values() : none, none];
  const cookies = ["_ga=1"];
  if (sometimes(5)) cookies.push(`my-consentry=${cookieValue(ownText(id, now))}`);
  if (inCookies[0] != null) cookies.push(`adobeujs-optin=${cookieValue(inCookies[0], !record && sometimes(1))}`);
  cookies.push("x=2");
  if (inCookies[1] != null) cookies.push(`consentry=${cookieValue(inCookies[1], !record && sometimes(1))}`);
  if (!record && sometimes(5)) cookies.push(`consentry=${cookieValue(ownText(id, now))}`);
  if (sometimes(50)) cookies.reverse();
  const storage = ([adobe, own]) => {
    // As a Storage: getItem, and each item as a property (the snippet reads those).
    const items = { "adobeujs-optin": adobe, consentry: own };
    const store = { getItem: (k) => items[k] ?? null };
    for (const k in items) if (items[k] != null) store[k] = items[k];
    return store;
  };
  return { cookie: cookies.join("; "), localStorage: storage(inLocal), sessionStorage: storage(inSession) };
}

// The record the gate itself writes for configuration `c`: one to three
// commits (approvals and denials of some categories, now and then a
// memo), the last of them up to 500 days ago; null when nothing is written.
function written(c, now) {
  let text;
  try {
    text = configText(c, []);
  } catch (_) {
    return null;
  }
  const start = JSON.parse(gate(START, `[${text},false,"0123","www.example.com",[[null,null],[null,null],[null,null]]]`, now));
  if (start.error) return null;
  const names = Object.keys(start.permissions);
  const time = now - next(500) * DAY;
  let record = null;
  for (let i = 0; i <= next(3); i++) {
    const [op, arg] = sometimes(15) ? [MEMOIZE, { iabConsentHash: "h" + next(9) }] : [pick([APPROVE, DENY]), [sometimes(25) ? null : some(names, 40), false]];
    const r = JSON.parse(gate(op, JSON.stringify(arg), time));
    if (r.write) record = r.write;
  }
  return record;
}

test("the snippet's answer at parse time is the gate's answer at start, or none", (t) => {
  initSync({ module: new WebAssembly.Module(readFileSync(new URL("../../dist/consentry_bg.wasm", import.meta.url))) });
  globalThis.GCM = globalThis.GPP = globalThis.SNIPPET = false;
  globalThis.EARLY = globalThis.STUB = true;
  const counts = { triples: 0, answered: 0, approving: 0, stored: 0, local: 0, gpc: 0, pre: 0, site: 0, revision: 0, written: 0 };
  for (; counts.triples < 24_000; counts.triples++) {
    const shaped = sometimes(75);
    const c = shaped ? plain() : any();
    const now = Date.now();
    const local = /"storage":"localStorage"/.test(JSON.stringify(c) ?? "");
    // A record the gate wrote, now and then under an older revision.
    const record = shaped && sometimes(40) ? written(c, now) : null;
    if (record && !slipped && sometimes(20)) c.revision = (c.revision ?? 0) + 1;
    const place = stored(local, now, record), gpc = sometimes(50);
    // The snippet, on a page with this record and GPC.
    // (The gate, as the facade starts it below, reads the same places.)
    globalThis.navigator = { globalPrivacyControl: gpc ? true : pick([false, undefined, "1"]) };
    globalThis.document = { cookie: place.cookie };
    globalThis.localStorage = place.localStorage;
    globalThis.sessionStorage = place.sessionStorage;
    const w = {};
    stub(w, 0, c);
    const snippet = w.consentry;
    let engine;
    try {
      const text = configText(c, []);
      engine = JSON.parse(gate(START, `[${text},${gpc},"0123","www.example.com",${JSON.stringify(places(/"storage":"localStorage"/.test(text)))}]`, Date.now()));
    } catch (e) {
      engine = { error: String(e) };
    }
    const answered = Object.keys(snippet.permissions).length > 0;
    const context = `config ${JSON.stringify(c)} (own keys ${c && typeof c == "object" ? Object.getOwnPropertyNames(c) : "-"}), gpc ${gpc}\ncookies ${place.cookie}\nlocalStorage ${JSON.stringify([place.localStorage.getItem("adobeujs-optin"), place.localStorage.getItem("consentry")])}`;
    const names = ADOBE.concat(SITE, ["consentry", "nope", "hasOwnProperty"]);
    // A configuration of its shape and a record the gate wrote where it
    // reads it: always an answer (unless near its expiry).
    const certain = record && !slipped && c.isOptInStorageEnabled;
    if (certain) counts.written++;
    if (!answered) {
      assert.ok(!certain || (local && now - JSON.parse(record[1]).time > LIFETIME - DAY - 1000), `no answer for a record the gate wrote:\n${context}`);
      // No answer: everything denied and pending, as before.
      assert.equal(snippet.status, "pending", context);
      for (const name of names) assert.equal(snippet.isApproved(name), false, `${name}\n${context}`);
      continue;
    }
    assert.equal(engine.error, undefined, `the snippet answered, the gate refuses the configuration:\n${context}`);
    assert.deepEqual({ ...snippet.permissions }, engine.permissions, `the permissions differ:\n${context}`);
    assert.equal(snippet.status, engine.status, `the status differs:\n${context}`);
    assert.equal(snippet.isComplete, engine.status == "complete");
    for (const name of names) assert.equal(snippet.isApproved(name), engine.permissions[name] === true, `${name}\n${context}`);
    counts.answered++;
    if (Object.values(engine.permissions).some((v) => v)) counts.approving++;
    if (c.doesOptInApply && c.isOptInStorageEnabled && engine.status == "complete") counts.stored++, local && counts.local++;
    if (gpc && c.doesOptInApply && Object.values(c.gpc || {}).some((l) => l.length)) counts.gpc++;
    if (c.doesOptInApply && Object.values(c.preOptInApprovals || {}).includes(true)) counts.pre++;
    if (c.categories?.length) counts.site++;
    if (c.revision > 0 && engine.status == "complete") counts.revision++;
  }
  // Not vacuous: the snippet answers most of the configurations of its
  // shape, from each kind of input.
  for (const [k, n] of Object.entries({ answered: 7_000, approving: 4_500, stored: 1_300, local: 200, gpc: 500, pre: 1_000, site: 5_000, revision: 800, written: 2_000 })) {
    assert.ok(counts[k] > n, `${k}: ${counts[k]}, expected more than ${n} (${JSON.stringify(counts)})`);
  }
  // The README and docs/testing.md say how many.
  for (const doc of ["README.md", "docs/testing.md"]) {
    assert.ok(readFileSync(new URL(`../../${doc}`, import.meta.url), "utf8").includes(`${counts.triples.toLocaleString("en-US")} generated`), `${doc} names ${counts.triples} triples`);
  }
  t.diagnostic(`${counts.triples} triples; the snippet answered ${counts.answered} exactly as the gate (${counts.stored} from a stored choice, ${counts.local} of them in localStorage; ${counts.gpc} with GPC denying; ${counts.pre} with preOptInApprovals; ${counts.site} with site categories; ${counts.revision} of a later revision; every one of the ${counts.written} records the gate wrote), and no other`);
});

test("the answer at parse time is in the inline snippet only", () => {
  const read = (file) => readFileSync(new URL(`../../dist/${file}`, import.meta.url), "utf8");
  const reader = /"\(\^\|; \)"/;
  assert.match(read("snippet.min.js"), reader);
  assert.doesNotMatch(read("snippet-consent-mode.min.js"), reader);
  for (const f of ["consentry.js", "consentry_bg.js", "consentry-full_bg.js", "consentry.mjs"]) assert.doesNotMatch(read(f), reader, `${f} leaves it out`);
});
