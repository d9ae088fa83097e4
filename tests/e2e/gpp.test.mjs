// IAB GPP against the IAB's own library (@iabgpp/cmpapi): Consentry's GPP
// strings decode field for field with it and it re-encodes them
// identically; strings it encodes, and the strings of its own tests
// (tests/fixtures/gpp-iab.json), decode the same in Consentry's decoder;
// a reader's rules over them; then, in Chromium, the __gpp API (stub,
// events, locator frame), reading the IAB's CmpApi, Consent Mode's
// commands and Microsoft UET.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
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

let browser, site;
setup((env) => {
  browser = env.browser;
  site = `http://www.shop.site.test:${env.server.port}`;
});

const GPP_CONFIG = `{ doesOptInApply: true, categories: ["ads"],
  gpp: { cmpId: 300, sections: ["usnat", "usca"], mspa: "opt-out", optOuts: { sale: ["aam", "ads"], sharing: ["aam"], targetedAdvertising: ["target"] } } }`;

test("__gpp: the stub answers at parse time, the module takes its listeners over, and signalStatus brackets every change", async () => {
  const context = await browser.newContext();
  const page = await openFixture(context, `${site}/gpp.html`, fixture(GPP_CONFIG,
    `<script>
      window.events = [];
      __gpp("ping", (p, ok) => (window.stubPing = [p, ok]));
      __gpp("hasSection", (v, ok) => (window.stubHas = [v, ok]), "usnat");
      __gpp("getField", (v, ok) => (window.stubField = [v, ok]), "usnat.SaleOptOut");
      __gpp("addEventListener", (e, ok) => ok && events.push([e.eventName, e.data, e.pingData.signalStatus, e.pingData.cmpStatus]));
    </script>`, SNIPPET_CONSENT_MODE));
  await ready(page);
  await page.waitForFunction(() => events.some((e) => e[0] == "signalStatus" && e[1] == "ready"));
  const stub = await page.evaluate(() => [stubPing, stubHas, stubField]);
  assert.deepEqual(stub[0], [{ gppVersion: "1.1", cmpStatus: "stub", cmpDisplayStatus: "hidden", signalStatus: "not ready", supportedAPIs: [], cmpId: 300,
    sectionList: [], applicableSections: [-1], gppString: "", parsedSections: {} }, true]);
  assert.deepEqual(stub.slice(1), [[false, true], [null, false]]);
  assert.deepEqual(await page.evaluate(() => events), [
    ["listenerRegistered", true, "not ready", "stub"],
    ["cmpStatus", "loaded", "not ready", "loaded"],
    ["signalStatus", "not ready", "not ready", "loaded"],
    ["sectionChange", "usnat", "not ready", "loaded"],
    ["sectionChange", "usca", "not ready", "loaded"],
    ["signalStatus", "ready", "ready", "loaded"],
  ]);
  const ping = await page.evaluate(() => new Promise((r) => __gpp("ping", (p) => r(p))));
  assert.deepEqual({ ...ping, gppString: 0, parsedSections: 0 }, { gppVersion: "1.1", cmpStatus: "loaded", cmpDisplayStatus: "hidden", signalStatus: "ready",
    supportedAPIs: ["7:usnat", "8:usca"], cmpId: 300, sectionList: [7, 8], applicableSections: [7], gppString: 0, parsedSections: 0 });
  // Nothing approved: every opt-out exercised; the IAB's library reads the same.
  assert.deepEqual(ping.parsedSections, new GppModel(ping.gppString).toObject());
  assert.equal(ping.parsedSections.usnat.SaleOptOut, 1);
  assert.equal(ping.parsedSections.usnat.MspaOptOutOptionMode, 1);
  await page.evaluate(() => (events.length = 0, consentry.approve(["aam", "ads"])));
  await page.waitForFunction(() => events.some((e) => e[1] == "ready"));
  assert.deepEqual(await page.evaluate(() => events.map((e) => e.slice(0, 2))), [
    ["signalStatus", "not ready"], ["sectionChange", "usnat"], ["sectionChange", "usca"], ["signalStatus", "ready"],
  ]);
  const after = await page.evaluate(() => new Promise((r) => {
    const out = {};
    __gpp("getField", (v) => (out.sale = v), "usnat.SaleOptOut");
    __gpp("getField", (v) => (out.sharing = v), "usca.SharingOptOut");
    __gpp("getField", (v) => (out.ta = v), "usnat.TargetedAdvertisingOptOut");
    __gpp("hasSection", (v) => (out.has = v), "usca");
    __gpp("getSection", (v) => (out.section = v), "usva");
    __gpp("removeEventListener", (v) => (out.removed = v), 1);
    __gpp("nope", (v, ok) => (out.unknown = [v, ok]));
    r(out);
  }));
  assert.deepEqual(after, { sale: 2, sharing: 2, ta: 1, has: true, section: null, removed: true, unknown: [null, false] });
  // A listener that changes what it was given changes nothing of ours.
  await page.evaluate(() => __gpp("ping", (p) => { p.sectionList.push(99); p.applicableSections.length = 0; p.parsedSections.usnat.SaleOptOut = 1; }));
  const again = await page.evaluate(() => new Promise((r) => __gpp("ping", r)));
  assert.deepEqual([again.sectionList, again.applicableSections, again.parsedSections.usnat.SaleOptOut], [[7, 8], [7], 2]);
  // The same choice changes nothing: no events.
  await page.evaluate(() => (events.length = 0, consentry.approve("aam")));
  await page.waitForTimeout(100);
  assert.deepEqual(await page.evaluate(() => events), []);
  assert.deepEqual(page.errors, []);
  await context.close();
});

test("__gpp with the banner: cmpDisplayStatus is visible while it asks; the visitor's button hides it, then is signalled", async () => {
  const context = await browser.newContext();
  const config = `{ categories: ["necessary", "marketing"], gpp: { sections: ["usnat"], optOuts: { sale: ["marketing"] } },
    ui: { necessary: ["necessary"], regions: { "*": "opt-in" }, region: "US-NY" } }`;
  const page = await openFixture(context, `${site}/gpp-banner.html`, fixture(config,
    `<script>window.events = []; __gpp("addEventListener", (e) => events.push([e.eventName, e.data, e.pingData.cmpDisplayStatus]));</script>`,
    SNIPPET_CONSENT_MODE));
  await page.waitForSelector(".consentry-ui button");
  await page.waitForFunction(() => events.some((e) => e[1] == "ready"));
  assert.equal(await page.evaluate(() => new Promise((r) => __gpp("ping", (p) => r(p.cmpDisplayStatus)))), "visible");
  await page.evaluate(() => (events.length = 0));
  await page.click(".consentry-ui [data-b=accept]");
  await page.waitForFunction(() => events.some((e) => e[1] == "ready"));
  // The banner goes, then the choice is signalled.
  assert.deepEqual(await page.evaluate(() => events), [
    ["cmpDisplayStatus", "hidden", "hidden"],
    ["signalStatus", "not ready", "hidden"], ["sectionChange", "usnat", "hidden"], ["signalStatus", "ready", "hidden"],
  ]);
  assert.equal(await page.evaluate(() => new Promise((r) => __gpp("getField", r, "usnat.SaleOptOut"))), 2);
  await context.close();
});

test("__gpp from a frame: the __gppLocator frame answers postMessage calls", async () => {
  const context = await browser.newContext();
  const page = await openFixture(context, `${site}/gpp-frame.html`, fixture(GPP_CONFIG, "", SNIPPET_CONSENT_MODE));
  await ready(page);
  await page.waitForFunction(() => !!window.frames.__gppLocator);
  await page.evaluate(() => new Promise((r) => __gpp("addEventListener", (e) => e.pingData.signalStatus == "ready" && r())));
  await page.evaluate(() => {
    const f = document.createElement("iframe");
    f.srcdoc = `<script>
      let w = window, found;
      while (w) { try { if (w.frames.__gppLocator) { found = w; break; } } catch (e) {} if (w === w.parent) break; w = w.parent; }
      addEventListener("message", (e) => { const r = e.data.__gppReturn; if (r && r.callId == "x1") parent.framed = r; });
      found.postMessage({ __gppCall: { command: "ping", callId: "x1", version: "1.1" } }, "*");
    </script>`;
    document.body.appendChild(f);
  });
  await page.waitForFunction(() => window.framed);
  const framed = await page.evaluate(() => framed);
  const direct = await page.evaluate(() => new Promise((r) => __gpp("ping", r)));
  assert.equal(framed.success, true);
  assert.equal(framed.returnValue.gppString, direct.gppString);
  assert.match(direct.gppString, /^DBAB/);
  await context.close();
});

// A page whose CMP is the IAB's own GPP CmpApi serving `string`.
const GPP_CMP = readFileSync("demo/vendor/iab-gpp.js", "utf8");
const cmpPage = (string, applicable, config, extra = "") => `<!doctype html><html lang="en"><head><title>cmp</title>
<script>${GPP_CMP}; window.cmp = new iabgpp.CmpApi(31, 1);
  cmp.setGppString(${JSON.stringify(string)}); cmp.setApplicableSections(${JSON.stringify(applicable)}); cmp.setSignalStatus("ready");</script>
<script>window.consentryConfig = ${config};</script><script>${readFileSync("dist/snippet.min.js", "utf8")}</script>${extra}</head><body></body></html>`;

// A GPP string the IAB's library encodes: usnat with the given opt-outs.
function iabString(fields, gpc = false) {
  const m = new GppModel();
  for (const [k, v] of Object.entries(fields)) m.setFieldValue("usnat", k, v);
  m.setFieldValue("usnat", "Gpc", gpc);
  return m.encode();
}

const READER = `{ doesOptInApply: true, preOptInApprovals: { aa: true }, gpp: { timeout: 2000, rules: { aam: ["sale", "sharing"], target: ["targetedAdvertising"] } } }`;

test("reading GPP: the IAB's CmpApi's opt-outs decide the ruled categories; GPC opts out; a later change applies", async () => {
  const context = await browser.newContext();
  const string = iabString({ SaleOptOut: 2, SharingOptOut: 2, TargetedAdvertisingOptOut: 1 });
  const page = await openFixture(context, `${site}/gpp-reader.html`, cmpPage(string, [7], READER));
  await ready(page);
  await page.waitForFunction(() => consentry.isApproved("aam"));
  assert.deepEqual(await page.evaluate(() => [consentry.isApproved("aam"), consentry.isApproved("target"), consentry.isApproved("aa")]), [true, false, true]);
  await page.evaluate((s) => { cmp.setGppString(s); cmp.fireSectionChange("usnat"); }, iabString({ SaleOptOut: 2, SharingOptOut: 2, TargetedAdvertisingOptOut: 2 }, true));
  await page.waitForFunction(() => !consentry.isApproved("aam"));
  assert.deepEqual(await page.evaluate(() => [consentry.isApproved("aam"), consentry.isApproved("target")]), [false, false]);
  await context.close();
});

test("reading GPP: no US section applies, no CMP in time, or a string that cannot be read keep nothing approved by accident", async () => {
  const context = await browser.newContext();
  const yes = iabString({ SaleOptOut: 2, SharingOptOut: 2, TargetedAdvertisingOptOut: 2 });
  const outside = await openFixture(context, `${site}/gpp-eu.html`, cmpPage(yes, [-1], READER));
  await ready(outside);
  await outside.waitForTimeout(300);
  assert.deepEqual(await outside.evaluate(() => [consentry.isApproved("aam"), consentry.isApproved("target")]), [false, false]);
  // A hostile CMP: its "ready" signal carries a string no GPP library reads.
  const broken = await openFixture(context, `${site}/gpp-broken.html`, `<!doctype html><html lang="en"><head><title>cmp</title>
<script>window.__gpp = (cmd, cb) => cmd == "addEventListener" && cb({ eventName: "signalStatus", listenerId: 1, data: "ready",
  pingData: { signalStatus: "ready", gppString: "DBABLA~B", applicableSections: [7] } }, true);</script>
${fixture(READER).replace(/^[^]*?<head><title>fixture<\/title>/, "").replace(/<\/head>[^]*$/, "")}</head><body></body></html>`);
  await ready(broken);
  await broken.waitForTimeout(300);
  assert.equal(await broken.evaluate(() => consentry.isApproved("aam")), false);
  assert.ok(broken.warnings.some((w) => w.includes("could not be read")), broken.warnings.join("\n"));
  const none = await openFixture(context, `${site}/gpp-none.html`, fixture(READER.replace("2000", "300")));
  await ready(none);
  await none.waitForTimeout(600);
  assert.deepEqual(await none.evaluate(() => [consentry.isApproved("aam"), consentry.isApproved("aa")]), [false, true]);
  assert.ok(none.warnings.some((w) => w.includes("no GPP signal")), none.warnings.join("\n"));
  // A mistake in gpp is named; GPP then decides nothing.
  const typo = await openFixture(context, `${site}/gpp-typo.html`, fixture(`{ doesOptInApply: true, gpp: { sections: ["usnat", "uscx"] } }`, "", SNIPPET_CONSENT_MODE));
  await ready(typo);
  await typo.waitForTimeout(300);
  assert.ok(typo.errors.some((w) => w.includes("config.gpp.sections is [\"usnat\",\"uscx\"]; expected")), typo.errors.join("\n"));
  await context.close();
});

test("Consent Mode and UET: region defaults, the advanced settings, ahead of what the page queued; updates at every commit", async () => {
  const context = await browser.newContext();
  const config = `{ doesOptInApply: true, uet: { ad_storage: ["aam"] },
    consentMode: { ad_storage: ["aam"], ad_user_data: ["aam"], ad_personalization: ["aam"], analytics_storage: ["aa"], security_storage: true,
      regionDefaults: [{ region: ["US", "CA"], granted: ["analytics_storage"] }], waitForUpdate: 500,
      urlPassthrough: true, adsDataRedaction: true, developerId: "dNzMyY2" } }`;
  const page = await openFixture(context, `${site}/gcm-full.html`, `<!doctype html><html lang="en"><head><title>gcm</title>
<script>window.dataLayer = [["js", "queued by the page"]]; window.uetq = [];</script>
<script>window.consentryConfig = ${config};\n${SNIPPET_CONSENT_MODE}</script>
<script>window.seenAtParse = dataLayer.map((a) => Array.from(a)); window.uetAtParse = uetq.slice();</script></head><body></body></html>`);
  await ready(page);
  await page.evaluate(() => consentry.approve(["aam", "aa"]));
  const calls = await page.evaluate(() => ({ parse: seenAtParse, all: dataLayer.map((a) => Array.from(a)), uetParse: uetAtParse, uet: uetq.slice() }));
  const deny = { ad_storage: "denied", ad_user_data: "denied", ad_personalization: "denied", analytics_storage: "denied", security_storage: "granted" };
  assert.deepEqual(calls.parse, [
    ["consent", "default", { ...deny, analytics_storage: "granted", wait_for_update: 500, region: ["US", "CA"] }],
    ["consent", "default", { ...deny, wait_for_update: 500 }],
    ["set", "url_passthrough", true],
    ["set", "ads_data_redaction", true],
    ["set", "developer_id.dNzMyY2", true],
    ["js", "queued by the page"],
  ]);
  const granted = Object.fromEntries(Object.keys(deny).map((k) => [k, "granted"]));
  assert.deepEqual(calls.all.slice(6), [["consent", "update", deny], ["consent", "update", granted]]);
  assert.deepEqual(calls.uetParse, ["consent", "default", { ad_storage: "denied" }]);
  assert.deepEqual(calls.uet, ["consent", "default", { ad_storage: "denied" }, "consent", "update", { ad_storage: "denied" }, "consent", "update", { ad_storage: "granted" }]);
  await context.close();
});

test("configuration mistakes in the new keys are named and approve nothing", async () => {
  const context = await browser.newContext();
  for (const [config, text] of [
    [`{ doesOptInApply: true, uet: { ad_storage: [] } }`, "config.uet.ad_storage is []"],
    [`{ doesOptInApply: true, uet: { adStorage: ["aam"] } }`, "config.uet.adStorage"],
    [`{ doesOptInApply: true, consentMode: { regionDefaults: [{ region: ["usa"], granted: [] }] } }`, "config.consentMode.regionDefaults is"],
    [`{ doesOptInApply: true, consentMode: { urlPasthrough: true } }`, "config.consentMode.urlPasthrough"],
    [`{ doesOptInApply: true, gpp: "usnat" }`, 'config.gpp is "usnat"'],
  ]) {
    const page = await openFixture(context, `${site}/bad.html`, fixture(config, "", SNIPPET_CONSENT_MODE));
    await page.waitForTimeout(400);
    assert.ok(page.errors.some((e) => e.includes(text)), `${config}: ${page.errors.join("\n")}`);
    assert.equal(await page.evaluate(() => consentry.isApproved("aam")), false);
    await page.close();
  }
  await context.close();
});

// What Google's documentation asks of a CMP for `consentMode`, written from
// the README, not from the snippet: one default per regionDefaults entry,
// the main default, the advanced settings; then an update at start.
function consentModeCommands(m, approved) {
  const types = Object.keys(m).filter((k) => k.includes("_"));
  const state = (granted) => Object.fromEntries(types.map((t) => [t, m[t] === true || granted.includes(t) ? "granted" : "denied"]));
  const wait = m.waitForUpdate ?? 500;
  return [
    ...(m.regionDefaults || []).map((d) => ["consent", "default", { ...state(d.granted), ...Object.fromEntries(d.granted.map((t) => [t, "granted"])), wait_for_update: wait, region: d.region }]),
    ["consent", "default", { ...state([]), wait_for_update: wait, ...(m.regions ? { region: m.regions } : {}) }],
    ...(m.urlPassthrough ? [["set", "url_passthrough", true]] : []),
    ...(m.adsDataRedaction ? [["set", "ads_data_redaction", true]] : []),
    ...(m.developerId ? [["set", `developer_id.${m.developerId}`, true]] : []),
    // A type is granted when all its categories are approved.
    ["consent", "update", Object.fromEntries(types.map((t) => [t, m[t] === true || m[t].every((c) => approved.includes(c)) ? "granted" : "denied"]))],
  ];
}

test("every documented configuration with consentMode sends exactly Google's commands, in order", async () => {
  const readme = ["README.md", ...readdirSync("docs").filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)]
    .map((f) => readFileSync(f, "utf8")).join("\n");
  const configs = [...readme.matchAll(/```js\nwindow\.consentryConfig = (\{[^]*?\n\});\n```/g)].map((m) => m[1]).filter((c) => c.includes("consentMode"));
  assert.ok(configs.length >= 2, `${configs.length} configurations`);
  const context = await browser.newContext();
  for (const config of configs) {
    // The documented configurations hold only literals: evaluating one is reading it.
    const object = new Function(`return ${config}`)();
    const page = await openFixture(context, `${site}/readme-gcm.html`, fixture(config, "", SNIPPET_CONSENT_MODE));
    await ready(page);
    const all = await page.evaluate(() => dataLayer.map((a) => Array.from(a)));
    // At start the pre-opt-in approvals are what is approved.
    const approved = Object.keys(object.preOptInApprovals || {}).filter((c) => object.preOptInApprovals[c] === true);
    assert.deepEqual(all, consentModeCommands(object.consentMode, approved), config);
    await page.close();
  }
  await context.close();
});

test("the Consent Mode, UET and GPP configurations of docs/integrations.md start without a mistake and say what it says", async () => {
  const readme = readFileSync("docs/integrations.md", "utf8");
  const section = readme.slice(readme.indexOf("## Google Consent Mode v2"), readme.indexOf("## `decodeGPPString(gppString)`"));
  const configs = [...section.matchAll(/```js\nwindow\.consentryConfig = (\{[^]*?\n\});\n```/g)].map((m) => m[1]);
  assert.equal(configs.length, 3);
  const context = await browser.newContext();
  for (const config of configs) {
    const page = await openFixture(context, `${site}/readme.html`, fixture(config, "", SNIPPET_CONSENT_MODE));
    await ready(page);
    await page.waitForTimeout(300);
    assert.deepEqual(page.errors, [], config);
    if (config.includes("uet:")) assert.deepEqual(await page.evaluate(() => uetq.slice(0, 3)), ["consent", "default", { ad_storage: "denied" }]);
    if (config.includes("sections")) {
      const ping = await page.evaluate(() => new Promise((r) => __gpp("addEventListener", (e) => e.pingData.signalStatus == "ready" && r(e.pingData))));
      assert.deepEqual(ping.sectionList, [7, 8, 9, 10, 11, 12, 16]);
      assert.deepEqual(ping.parsedSections, new GppModel(ping.gppString).toObject());
    }
    await page.close();
  }
  await context.close();
});
