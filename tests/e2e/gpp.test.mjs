// IAB GPP against the IAB's own library (@iabgpp/cmpapi): Consentry's GPP
// strings decode field for field with it and it re-encodes them
// identically; strings it encodes, and the strings of its own tests
// (tests/fixtures/gpp-iab.json), decode the same in Consentry's decoder;
// a reader's rules over them; then, in Chromium, the __gpp API (stub,
// events, locator frame), reading the IAB's CmpApi, Consent Mode's
// commands and Microsoft UET.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { GppModel } from "@iabgpp/cmpapi";
import { setup, openFixture, fixture, ready, SNIPPET_CONSENT_MODE } from "./harness.mjs";
import * as gpp from "../../dist/consentry-gpp.mjs";

gpp.initSync({ module: new WebAssembly.Module(readFileSync("dist/consentry-gpp_bg.wasm")) });

const SECTIONS = ["usnat", "usca", "usva", "usco", "usut", "usct", "usfl", "usmt", "usor", "ustx", "usde", "usia", "usne", "usnh", "usnj", "ustn", "usmn", "usmd", "usin", "usky", "usri"];
const KINDS = ["sale", "sharing", "targetedAdvertising", "sensitive"];
const ADOBE = ["aam", "adcloud", "aa", "campaign", "ecid", "livefyre", "target", "mediaaa"];
const NAMES = [...ADOBE, "ads", "email"];
const MSPA = ["none", "opt-out", "service-provider"];

let seed = 20261204;
const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
const pick = (list) => list[Math.floor(random() * list.length)];
const some = (list, p) => list.filter(() => random() < p);

// What each field should say for a choice, written from the README's table,
// not from the encoder: `st` per kind 0 (not mapped), 1 (exercised), 2.
function expected(iab, st, mspa, gpc) {
  const any = Object.values(st).some((s) => s != 0) ? 1 : 0;
  const notice = (k) => (st[k] != 0 ? 1 : 0);
  const rule = {
    SharingNotice: any, ProcessingNotice: any,
    SaleOptOutNotice: notice("sale"), SaleOptOut: st.sale,
    SharingOptOutNotice: notice("sharing"), SharingOptOut: st.sharing,
    TargetedAdvertisingOptOutNotice: notice("targetedAdvertising"), TargetedAdvertisingOptOut: st.targetedAdvertising,
    SensitiveDataProcessingOptOutNotice: notice("sensitive"), SensitiveDataLimitUseNotice: notice("sensitive"), SensitiveDataOptOutNotice: notice("sensitive"),
    MspaCoveredTransaction: mspa == 0 ? 2 : 1, MspaOptOutOptionMode: [0, 1, 2][mspa], MspaServiceProviderMode: [0, 2, 1][mspa], MspaMode: mspa,
    Gpc: gpc, GpcSegmentType: 1,
  };
  const out = {};
  for (const [k, v] of Object.entries(iab)) {
    if (k == "Version" || k == "MspaVersion") out[k] = v;
    else if (k == "SensitiveDataProcessing") out[k] = v.map(() => st.sensitive);
    else if (k in rule) out[k] = rule[k];
    else out[k] = Array.isArray(v) ? v.map(() => 0) : 0;
  }
  return out;
}

test("GPP strings Consentry encodes decode field for field with the IAB's library, which re-encodes them identically (2,100 choices)", () => {
  let checked = 0;
  for (let n = 0; n < 2100; n++) {
    // Every section on its own first, then random sets.
    const sections = n < SECTIONS.length ? [SECTIONS[n]] : some(SECTIONS, 0.3);
    if (!sections.length) sections.push(pick(SECTIONS));
    const optOuts = Object.fromEntries(KINDS.filter(() => random() < 0.7).map((k) => [k, some(NAMES, 0.3)]));
    const mspa = Math.floor(random() * 3);
    const config = { cmpId: 7, sections, optOuts, mspa: MSPA[mspa] };
    assert.deepEqual(JSON.parse(gpp.configure(JSON.stringify(config), JSON.stringify(NAMES))), { cmp: true });
    const permissions = NAMES.map(() => random() < 0.5);
    const gpc = random() < 0.3;
    const string = gpp.encode(Uint8Array.from(permissions, Number), gpc);
    const st = Object.fromEntries(KINDS.map((k) => {
      const cats = (optOuts[k] || []).map((c) => NAMES.indexOf(c));
      return [k, cats.length == 0 ? 0 : cats.every((i) => permissions[i]) ? 2 : 1];
    }));
    const model = new GppModel(string);
    assert.deepEqual(model.getSectionIds(), SECTIONS.map((s, i) => sections.includes(s) && i + 7).filter(Boolean), string);
    const iab = model.toObject();
    for (const s of sections) {
      assert.deepEqual(iab[s], expected(iab[s], st, mspa, gpc), `${s} in ${string}`);
      checked++;
    }
    assert.equal(model.encode(), string);
  }
  assert.ok(checked > 5000, `${checked} sections`);
});

test("what the IAB's library encodes decodes the same in Consentry's decoder, and a reader's rules read it (2,000 strings)", () => {
  const rules = { aam: ["sale", "sharing"], target: ["targetedAdvertising"], ads: ["sensitive"], aa: ["sale", "targetedAdvertising", "sensitive"] };
  assert.deepEqual(JSON.parse(gpp.configure(JSON.stringify({ timeout: 100, rules }), JSON.stringify(NAMES))), { timeout: 100 });
  const fields = { sale: ["SaleOptOut"], sharing: ["SharingOptOut"], targetedAdvertising: ["TargetedAdvertisingOptOut"], sensitive: ["SensitiveDataProcessing"] };
  for (let n = 0; n < 2000; n++) {
    const model = new GppModel();
    const sections = some(SECTIONS, 0.25);
    if (!sections.length) sections.push(pick(SECTIONS));
    for (const s of sections) {
      // Every field of the section, each a valid value at random.
      for (const [k, v] of Object.entries(new GppModel().getSection(s) ?? emptySection(s))) {
        if (k == "Version" || k == "MspaVersion" || k == "GpcSegmentType") continue;
        model.setFieldValue(s, k, typeof v == "boolean" ? random() < 0.3 : Array.isArray(v) ? v.map(() => pick([0, 1, 2, 2])) : k == "MspaCoveredTransaction" ? pick([1, 2]) : pick([0, 1, 2, 2]));
      }
      // The second segment left out, where there is one.
      const second = ["usin", "usky", "usri"].includes(s) ? "SensitiveDataConsentSegmentIncluded" : ["usva", "usut", "usfl"].includes(s) ? null : "GpcSegmentIncluded";
      if (second && random() < 0.3) model.setFieldValue(s, second, false);
    }
    const string = model.encode();
    const iab = new GppModel(string).toObject();
    const ours = gpp.decodeGPPString(string);
    assert.deepEqual(ours.parsedSections, iab, string);
    // The reader: a category runs only when every applicable section
    // declines each opt-out it names (2), and GPC is off for the first three.
    const applicable = [SECTIONS.indexOf(pick(sections)) + 7];
    const verdict = JSON.parse(gpp.choices(string, Int32Array.from(applicable)));
    const s = iab[SECTIONS[applicable[0] - 7]];
    const want = Object.entries(rules).map(([cat, kinds]) => [NAMES.indexOf(cat), kinds.every((k) => {
      const values = fields[k].flatMap((f) => (f in s ? [s[f]].flat() : []));
      return values.every((v) => v == 2) && !(k != "sensitive" && s.Gpc === true);
    })]);
    assert.deepEqual(verdict.choices, want, string);
  }
});

// A section the IAB's model leaves out until a field is set.
function emptySection(name) {
  const m = new GppModel();
  m.setFieldValue(name, "SaleOptOut", 0);
  return m.getSection(name);
}

test("the IAB library's own test strings decode the same, and what it refuses Consentry refuses", () => {
  const cases = JSON.parse(readFileSync("tests/fixtures/gpp-iab.json", "utf8"));
  let decoded = 0;
  for (const c of cases) {
    const string = c.gpp ?? `${header(c.section)}~${c.string}`;
    let ours;
    try {
      ours = gpp.decodeGPPString(string);
    } catch (e) {
      ours = null;
    }
    if (!c.decoded) {
      // Refused by the IAB; only US sections are Consentry's to read.
      if (ours && c.section) assert.fail(`${string}: decoded ${JSON.stringify(ours)}, the IAB refuses it`);
      continue;
    }
    assert.ok(ours, `${string}: refused`);
    const iab = c.gpp ? c.decoded.parsedSections : { [c.section]: c.decoded };
    for (const [name, value] of Object.entries(iab)) {
      if (!SECTIONS.includes(name)) continue; // TCF and uspv1 pass through as text
      assert.deepEqual(ours.parsedSections[name], value, `${name} in ${string}`);
      decoded++;
    }
  }
  assert.ok(decoded >= 50, `${decoded} sections`);
});

// The header of a GPP string holding one section.
function header(section) {
  const m = new GppModel();
  m.setFieldValue(section, "SaleOptOut", 0);
  return m.encode().split("~")[0];
}
