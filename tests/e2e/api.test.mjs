// The public API in Chromium: the JS shell (js/facade.js) over the gate's
// wasm, as a site gets it from dist/consentry.mjs. Storage (cookies,
// localStorage, sessionStorage), listeners, one-shots, the DOM event,
// plugins, memoized content, and every wrong argument's Error.
import { test } from "node:test";
import assert from "node:assert/strict";
import { setup, openFixture } from "./harness.mjs";

let browser, site;
setup((env) => {
  browser = env.browser;
  site = `http://127.0.0.1:${env.server.port}`;
});

// A page that starts Consentry with `config` (JS source); resolves to the
// page, with `started` "ok" or init's error message.
// `page`: a page to navigate instead of a new one (sessionStorage is per tab).
async function gatePage(context, config, path = "/api.html", page) {
  const html = `<!doctype html><title>api</title>
    <script type="module">
      import consentry, { init } from "/consentry/consentry.mjs";
      init(${config}).then(() => (window.started = "ok"), (e) => (window.started = e.message));
    </script>`;
  if (page) await page.goto(`${site}${path}`).then(() => page.setContent(html));
  else page = await openFixture(context, `${site}${path}`, html);
  await page.waitForFunction(() => window.started);
  page.started = await page.evaluate(() => window.started);
  return page;
}

const STORED = `{ doesOptInApply: true, isOptInStorageEnabled: true }`;

test("a commit writes Adobe's cookie with the configured attributes, and the next page reads it", async () => {
  for (const [config, lifetime, sameSite] of [
    [STORED, 34_190_000, "Lax"],
    [`{ doesOptInApply: true, isOptInStorageEnabled: true, optInStorageExpiry: 60, sameSiteCookie: "Strict", secureCookie: true }`, 60, "Strict"],
    [`{ doesOptInApply: true, isOptInStorageEnabled: true, optInStorageExpiry: "SESSION", sameSiteCookie: "None", secureCookie: true }`, null, "None"],
  ]) {
    const context = await browser.newContext();
    const page = await gatePage(context, config);
    await page.evaluate(() => consentry.approve("aa"));
    const cookies = await context.cookies();
    assert.deepEqual(cookies.map((c) => c.name).sort(), ["adobeujs-optin", "consentry"]);
    const [adobe, own] = ["adobeujs-optin", "consentry"].map((name) => cookies.find((c) => c.name === name));
    assert.equal(decodeURIComponent(adobe.value), '{"aam":false,"adcloud":false,"aa":true,"campaign":false,"ecid":false,"livefyre":false,"target":false,"mediaaa":false}');
    assert.match(decodeURIComponent(own.value), /^\{"v":2,"rev":0,"time":\d+,"id":"[0-9a-f]{32}","choice":\{\}\}$/);
    for (const cookie of [adobe, own]) {
      assert.equal(cookie.path, "/");
      assert.equal(cookie.domain, "127.0.0.1", "host-only on an IP address");
      assert.equal(cookie.sameSite, sameSite, config);
      if (lifetime) assert.ok(Math.abs(cookie.expires - Date.now() / 1000 - lifetime) < 60, config);
      else assert.equal(cookie.expires, -1, "a session cookie");
    }
    const again = await gatePage(context, config, "/next.html");
    assert.deepEqual(await again.evaluate(() => [consentry.isApproved("aa"), consentry.isApproved("aam"), consentry.status]), [true, false, "complete"]);
    assert.deepEqual([...page.errors, ...again.errors], []);
    await context.close();
  }
});

// What Adobe's VisitorAPI 5.5.0 takes for a stored choice: a value whose
// every key is one of its eight categories or its memo key
// `iabConsentHash` (any other key and it sees no choice: status pending,
// and isApproved() false after approveAll).
const ADOBE_KEYS = ["aam", "adcloud", "aa", "campaign", "ecid", "livefyre", "target", "mediaaa", "iabConsentHash"];
const adobeTakes = (value) => Object.keys(value).length > 0 && Object.keys(value).every((k) => ADOBE_KEYS.includes(k));

test("Adobe's cookie holds only what Adobe's library reads; the site's categories and the proof are in Consentry's", async () => {
  const context = await browser.newContext();
  const page = await gatePage(context, `{ doesOptInApply: true, isOptInStorageEnabled: true, categories: ["sms"] }`);
  await page.evaluate(() => consentry.memoizeContent({ iabConsentHash: "h1" }).approveAll());
  const read = async (name) => JSON.parse(decodeURIComponent((await context.cookies()).find((c) => c.name === name).value));
  const adobe = await read("adobeujs-optin");
  assert.ok(adobeTakes(adobe), JSON.stringify(adobe));
  assert.ok(ADOBE_KEYS.slice(0, 8).every((k) => adobe[k] === true), "every one of Adobe's categories, approved");
  assert.equal(adobe.iabConsentHash, "h1");
  const own = await read("consentry");
  assert.deepEqual(own.choice, { sms: true });
  assert.deepEqual(Object.keys(own), ["v", "rev", "time", "id", "choice"]);
  // The next page reads both; a page without the site's category (a
  // rollback to Adobe's categories only) reads Adobe's.
  const again = await gatePage(context, `{ doesOptInApply: true, isOptInStorageEnabled: true, categories: ["sms"] }`, "/next.html");
  assert.deepEqual(await again.evaluate(() => [consentry.isApproved(["aa", "sms"]), consentry.status]), [true, "complete"]);
  const adobeOnly = await gatePage(context, STORED, "/adobe.html");
  assert.deepEqual(await adobeOnly.evaluate(() => [consentry.isApproved([]), consentry.status]), [true, "complete"]);
  assert.deepEqual([...page.errors, ...again.errors, ...adobeOnly.errors], []);
  await context.close();
});

test("nothing is written without storage or with expiry NONE; localStorage and sessionStorage keep the choice", async () => {
  for (const config of [`{ doesOptInApply: true }`, `{ doesOptInApply: true, isOptInStorageEnabled: true, optInStorageExpiry: "NONE" }`]) {
    const context = await browser.newContext();
    const page = await gatePage(context, config);
    await page.evaluate(() => consentry.approveAll());
    assert.deepEqual(await context.cookies(), [], config);
    assert.equal(await page.evaluate(() => localStorage.length + sessionStorage.length), 0);
    await context.close();
  }
  for (const [config, store] of [
    [`{ doesOptInApply: true, isOptInStorageEnabled: true, storage: "localStorage" }`, "localStorage"],
    [`{ doesOptInApply: true, isOptInStorageEnabled: true, storage: "localStorage", optInStorageExpiry: "SESSION" }`, "sessionStorage"],
  ]) {
    const context = await browser.newContext();
    const page = await gatePage(context, config);
    await page.evaluate(() => consentry.approve("target"));
    assert.match(await page.evaluate((s) => window[s].getItem("adobeujs-optin"), store), /"target":true/);
    assert.deepEqual(await context.cookies(), []);
    const again = await gatePage(context, config, "/next.html", page);
    assert.equal(await again.evaluate(() => consentry.isApproved("target")), true, config);
    await context.close();
  }
});

test("a cookie the page cannot keep is reported once, and the choice holds for the page", async () => {
  for (const config of [
    `{ doesOptInApply: true, isOptInStorageEnabled: true, secureCookie: true, sameSiteCookie: "None" }`,
    `{ doesOptInApply: true, isOptInStorageEnabled: true, optInCookieDomain: "example.com" }`,
  ]) {
    const context = await browser.newContext();
    const page = await gatePage(context, config);
    await page.evaluate(() => { consentry.approve("aa"); consentry.approve("ecid"); });
    if (config.includes("example.com")) {
      assert.equal(page.warnings.filter((w) => w.includes("the choice could not be stored: the browser did not keep the cookie")).length, 1, page.warnings.join("\n"));
    }
    assert.deepEqual(await page.evaluate(() => [consentry.isApproved("aa"), consentry.isApproved("ecid")]), [true, true]);
    assert.deepEqual(page.errors, []);
    await context.close();
  }
});

test("corrupt and foreign records never approve; only the cookie of exactly that name is read", async () => {
  const aa = encodeURIComponent('{"aa":true}');
  for (const cookies of [
    [["adobeujs-optin", "%E0%A4%A"]], [["adobeujs-optin", "%7B%22aa%22%3A%22yes%22%7D"]], [["adobeujs-optin", "garbage"]],
    [["adobeujs-optin", aa], ["consentry", encodeURIComponent('{"v":99}')]], [["adobeujs-optin", aa], ["consentry", "%E0%A4%A"]],
    [["xadobeujs-optin", aa]],
  ]) {
    const context = await browser.newContext();
    await context.addCookies(cookies.map(([name, value]) => ({ name, value, url: site })));
    const page = await gatePage(context, STORED);
    assert.deepEqual(await page.evaluate(() => [consentry.isApproved("aa"), consentry.isApproved([])]), [false, false], JSON.stringify(cookies));
    assert.deepEqual(page.errors, []);
    await context.close();
  }
});

test("listeners hear commits in order with their own copy; off, unsubscribe, one-shots, re-entry and the DOM event", async () => {
  const context = await browser.newContext();
  const page = await gatePage(context, `{ doesOptInApply: true, categories: ["sms"] }`);
  const log = await page.evaluate(() => {
    const c = consentry, log = [];
    const a = function (p) { log.push(["a", p.aa, this && this.tag]); p.aa = "edited"; };
    const b = (p) => log.push(["b", p.aa]);
    c.on("complete", a, { tag: "ctx" }).on("complete", b);
    c.fetchPermissions((p) => log.push(["once", p.sms]));
    const first = c.fetchPermissions((p) => log.push(["sub1", p.aa]), true);
    c.fetchPermissions((p) => log.push(["sub2", p.aa]), true);
    addEventListener("consentry:complete", (e) => log.push(["event", JSON.stringify(e.detail.changes), e.detail.permissions.sms]));
    c.approve(["aa", "sms"]);
    first();
    c.off("complete", a);
    // A listener that calls back into the API.
    c.on("complete", (p) => { if (!p.ecid) { log.push(["re-enter"]); c.approve("ecid"); } });
    c.deny("aa");
    return log;
  });
  assert.deepEqual(log, [
    ["a", true, "ctx"], ["b", true], ["sub1", true], ["sub2", true], ["once", true], ["event", '{"aa":true,"sms":true}', true],
    ["b", false], ["sub2", false], ["re-enter"],
    ["b", false], ["sub2", false], ["event", '{"ecid":true}', true],
    ["event", '{"aa":false}', true],
  ]);
  await context.close();
});

test("fetchPermissions answers at once when there is an answer, else at the first commit", async () => {
  const context = await browser.newContext();
  for (const [config, now] of [[`{ doesOptInApply: true, preOptInApprovals: { aa: true } }`, true], [`{}`, true], [`{ doesOptInApply: true }`, false]]) {
    const page = await gatePage(context, config);
    const heard = await page.evaluate(() => { let n = 0; consentry.fetchPermissions(() => n++); return n; });
    assert.equal(heard, now ? 1 : 0, config);
  }
  await context.close();
});

test("arrays from another frame, memoized content and site categories", async () => {
  const context = await browser.newContext();
  const page = await gatePage(context, `{ doesOptInApply: true, isOptInStorageEnabled: true, categories: ["sms", "push-news", "analytics"] }`);
  const out = await page.evaluate(() => {
    const frame = document.body.appendChild(document.createElement("iframe"));
    const foreign = new frame.contentWindow.Array("ecid", "sms");
    consentry.approve(foreign);
    consentry.approve({ length: 1, 0: "target" });
    consentry.memoizeContent({ iabConsentHash: "h1", n: { x: [1, 2.5] } });
    const C = consentry.Categories;
    return [consentry.isApproved(["ecid", "sms", "target"]), C.ECID, C.SMS, C.PUSH_NEWS, C.ANALYTICS, Object.isFrozen(C), adobe.OptInCategories === C];
  });
  assert.deepEqual(out, [true, "ecid", "sms", "push-news", "aa", true, true]);
  const again = await gatePage(context, `{ doesOptInApply: true, isOptInStorageEnabled: true, categories: ["sms", "push-news", "analytics"] }`, "/next.html");
  assert.deepEqual(await again.evaluate(() => [consentry.getMemoizedContent("iabConsentHash"), consentry.getMemoizedContent("n"), consentry.getMemoizedContent("missing")]), ["h1", { x: [1, 2.5] }, undefined]);
  await context.close();
});

test("memoized content that would not fit in the cookie is refused, and later choices are still stored", async () => {
  const context = await browser.newContext();
  const page = await gatePage(context, STORED);
  const message = await page.evaluate(() => {
    try {
      consentry.memoizeContent({ big: "x".repeat(5000) });
    } catch (e) {
      return e.message;
    }
  });
  assert.match(message, /^consentry\.memoizeContent: content that makes the stored record \d+ bytes; expected at most 4096, the room the record has$/);
  await page.evaluate(() => consentry.memoizeContent({ small: "y" }).approve("aa"));
  const again = await gatePage(context, STORED, "/next.html");
  assert.deepEqual(await again.evaluate(() => [consentry.isApproved("aa"), consentry.getMemoizedContent("small"), consentry.getMemoizedContent("big")]), [true, "y", undefined]);
  assert.deepEqual(page.warnings.filter((w) => w.includes("could not be stored")), []);
  await context.close();
});

test("every wrong argument to a call that changes state throws an Error naming the call, the value and what was expected, and changes nothing", async () => {
  const context = await browser.newContext();
  const page = await gatePage(context, `{ doesOptInApply: true }`);
  const messages = await page.evaluate(() => {
    const c = consentry, f = () => {};
    return [
      () => c.approve("foo"), () => c.approve(), () => c.deny([]), () => c.deny(5), () => c.deny(["aa", 3]),
      () => c.approve("aa", "yes"), () => c.approveAll(1), () => c.on("done", f), () => c.on("complete", null),
      () => c.registerPlugin({ name: "p" }), () => c.execute({ command: "nodot" }), () => c.execute({ command: "iabPlugin.x" }),
      () => c.memoizeContent("x"), () => c.memoizeContent({ aa: true }),
    ].map((call) => { try { call(); return "no error"; } catch (e) { return (e instanceof Error ? "" : "not an Error: ") + e.message; } }).concat(c.status);
  });
  const expected = [
    'consentry.approve: unknown category "foo" (known: aam,', "consentry.approve: expected a category or a non-empty array",
    "consentry.deny: expected a category or a non-empty array", "consentry.deny: 5; expected a category or an array",
    'consentry.deny: item 1 of ["aa",3] is 3; expected a category name (a string)', 'consentry.approve: shouldWaitForComplete is "yes"; expected true or false',
    "consentry.approveAll: shouldWaitForComplete is 1", 'consentry.on: event is "done"; expected "complete"',
    "consentry.on: callback is null; expected a function",
    'consentry.registerPlugin: plugin is {"name":"p"}; expected {name', 'consentry.execute: options are {"command":"nodot"}; expected {command: "plugin.method"',
    'consentry.execute: no plugin method "iabPlugin.x" is registered', 'consentry.memoizeContent: content is "x"; expected an object',
    'consentry.memoizeContent: key "aa" is reserved',
  ];
  expected.forEach((prefix, i) => assert.ok(messages[i].startsWith(prefix), `${messages[i]} should start with ${prefix}`));
  assert.equal(messages.at(-1), "pending", "no failed call changed anything");
  await context.close();
});

test("read-only calls with a wrong argument answer as Adobe's library does, approving nothing, and warn once per call", async () => {
  const context = await browser.newContext();
  const page = await gatePage(context, `{ doesOptInApply: true, preOptInApprovals: { aa: true } }`);
  const answers = await page.evaluate(() => {
    const c = consentry, f = () => {};
    c.approveAll();
    const calls = [
      () => c.isApproved(42), () => c.isApproved({}), () => c.isApproved(["aa", 3]), () => c.isPreApproved({}),
      () => c.getMemoizedContent(), () => c.getMemoizedContent(42), () => c.fetchPermissions("x"), () => c.fetchPermissions(),
      () => c.fetchPermissions(f, "yes"), () => c.off("complete", "x"), () => c.off("done", f),
    ];
    return calls.map((call) => {
      try {
        const v = call();
        return v === c ? "the object" : typeof v == "function" ? `a function returning ${v()}` : v === undefined ? "undefined" : v;
      } catch (e) {
        return "threw " + e.message;
      }
    });
  });
  assert.deepEqual(answers, [
    false, false, false, false, "undefined", "undefined", "a function returning undefined", "a function returning undefined",
    "a function returning undefined", "the object", "the object",
  ]);
  const reports = page.warnings.filter((w) => w.includes("; reported once)"));
  assert.deepEqual(reports.map((w) => w.split(":")[1].trim()), ["isApproved", "isPreApproved", "getMemoizedContent", "fetchPermissions", "off"], reports.join("\n"));
  assert.ok(reports[0].startsWith("consentry: isApproved: 42; expected a category or an array of categories (answered false"), reports[0]);
  assert.deepEqual(await page.evaluate(() => [consentry.isApproved(), consentry.status]), [true, "complete"], "the page carries on");
  await context.close();
});

test("fetchPermissions returns a function, also for a one-shot (Adobe's does nothing), before and after Consentry has loaded", async () => {
  const context = await browser.newContext();
  const page = await gatePage(context, `{ doesOptInApply: true }`);
  const [oneShot, calls] = await page.evaluate(() => {
    const calls = [];
    const off = consentry.fetchPermissions((p) => calls.push(p.aa));
    off();
    consentry.approve("aa");
    return [typeof off, calls];
  });
  assert.deepEqual([oneShot, calls], ["function", [true]], "the one-shot's function removes nothing");
  await context.close();
  // The stub (before the wasm has loaded) answers the same.
  const { stub } = await import("../../js/stub.js");
  globalThis.GCM = globalThis.GPP = globalThis.EARLY = globalThis.SNIPPET = false;
  globalThis.STUB = true;
  const w = {};
  stub(w, 0, {});
  const off = w.consentry.fetchPermissions(() => {});
  assert.equal(typeof off, "function");
  off();
  assert.equal(w.consentry._q[0][1].x, undefined, "calling a one-shot's function does not cancel it");
  w.consentry.fetchPermissions(() => {}, true)();
  assert.equal(w.consentry._q[1][1].x, true, "an auto-subscription unsubscribed before load never subscribes");
});

test("bad configurations reject init naming the key; config functions are called once, a throwing one fails closed", async () => {
  const context = await browser.newContext();
  for (const [config, message] of [
    [`{ optInStorageExpiry: "week" }`, 'consentry.init: config.optInStorageExpiry is "week"'],
    [`7`, "consentry.init: config is 7; expected an object"],
    [`{ isOptInStorageEnabled() {} }`, "consentry.init: config.isOptInStorageEnabled is a function"],
    [`{ revision: NaN }`, "consentry.init: config.revision is NaN"],
    [`{ isIabContext: true, tcf: { timeout: "soon" } }`, 'consentry.init: config.tcf.timeout is "soon"'],
    // A typo never turns opt-in off (issue 13): everything stays denied.
    [`{ doesOptinApply: true }`, 'consentry.init: unknown config key "doesOptinApply"; did you mean "doesOptInApply"?'],
    [`new Proxy({}, { ownKeys() { throw 1; } })`, "consentry.init: config is"],
    [`(() => { const r = Proxy.revocable({}, {}); r.revoke(); return r.proxy; })()`, "consentry.init: config is"],
  ]) {
    const page = await gatePage(context, config);
    assert.ok(page.started.startsWith(message), `${page.started} should start with ${message}`);
    assert.deepEqual(await page.evaluate(() => [consentry.isApproved("aa"), consentry.isApproved([])]), [false, false], config);
  }
  const page = await gatePage(context, `{ doesOptInApply() { window.calls = (window.calls || 0) + 1; return "true"; }, previousPermissions: () => '{"aa":true}' }`);
  assert.deepEqual(await page.evaluate(() => [consentry.doesOptInApply, consentry.isApproved("aa"), consentry.status, window.calls]), [true, true, "complete", 1]);
  const throwing = await gatePage(context, `{ doesOptInApply() { throw new Error("x"); } }`);
  assert.deepEqual(await throwing.evaluate(() => [consentry.doesOptInApply, consentry.isApproved("aa")]), [true, false]);
  assert.ok(throwing.warnings.some((w) => w.includes("config.doesOptInApply() threw; opt-in applies")));
  await context.close();
});

test("plugins register once and execute with params and callback", async () => {
  const context = await browser.newContext();
  const page = await gatePage(context, `{}`);
  const out = await page.evaluate(() => {
    let reg = 0, got;
    const plugin = { name: "p", onRegister(api) { reg++; this.api = api; }, fetch(o) { o.callback(null, { x: o.x }); } };
    consentry.registerPlugin(plugin).registerPlugin({ name: "p", onRegister() { reg += 10; } });
    consentry.execute({ command: "p.fetch", params: { x: 5 }, callback: (e, d) => (got = d) });
    return [reg, plugin.api === consentry, got];
  });
  assert.deepEqual(out, [1, true, { x: 5 }]);
  await context.close();
});

test("hostile arguments and a throwing console cannot break the API", async () => {
  const context = await browser.newContext();
  const page = await gatePage(context, `{ doesOptInApply: true, preOptInApprovals: '{"aa":7}' }`);
  const out = await page.evaluate(() => {
    const h = consentry, boom = () => { throw new Error("hostile"); };
    const trap = new Proxy({}, { get: boom, ownKeys: boom, has: boom, getOwnPropertyDescriptor: boom });
    const revoked = Proxy.revocable({}, {}); revoked.revoke();
    const cyclic = {}; cyclic.self = cyclic;
    const thrown = [
      () => h.approve(trap), () => h.approve({ length: 2, get 0() { throw new Error("getter"); } }), () => h.approve(revoked.proxy),
      () => h.deny({ length: 1e12 }), () => h.memoizeContent(cyclic), () => h.memoizeContent({ toJSON: boom }),
      () => h.registerPlugin(trap), () => h.registerPlugin(undefined), () => h.execute(undefined), () => h.execute(trap),
      () => h.on("complete", undefined), () => h.on("complete", Symbol("x")), () => h.approve(10n),
    ].map((f) => { try { f(); return "none"; } catch (e) { return e instanceof Error && e.message.startsWith("consentry.") ? "Error" : String(e); } });
    // Read-only calls answer (see above).
    const answered = [h.isApproved({ length: 1e12 }), h.isApproved(trap), typeof h.fetchPermissions(Symbol("x")), h.getMemoizedContent(trap)];
    const { warn, error } = console;
    console.warn = console.error = boom;
    h.on("complete", boom);
    h.approve("target");
    Object.assign(console, { warn, error });
    return [thrown, answered, h.isApproved("target"), h.isApproved("aa"), h.status];
  });
  assert.deepEqual(out, [Array(13).fill("Error"), [false, false, "function", undefined], true, false, "complete"]);
  await context.close();
});
