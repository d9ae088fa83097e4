// Packaging: the inline snippet's size, the package's exports, and the
// TypeScript types compiled against an example that uses every call.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { sizes, MARKERS } from "../../scripts/size.mjs";
import { SERVER_COMMAND } from "./harness.mjs";
import { readSection } from "../../scripts/readme.mjs";
import { report, MARKERS as BENCH_MARKERS } from "../../bench/run.mjs";
import { report as load, MARKERS as LOAD_MARKERS } from "../../bench/load.mjs";

// The snippet answers at parse time within its goal, 2,048 bytes (issue
// 26); the integrations snippet carries Consent Mode's region defaults and
// advanced settings, UET's default and the __gpp stub (issue 24).
test("the inline snippets stay within 2,048 bytes (the integrations snippet 2,390)", () => {
  for (const [file, limit] of [["dist/snippet.min.js", 2048], ["dist/snippet-consent-mode.min.js", 2390]]) {
    const bytes = readFileSync(file).length;
    assert.ok(bytes <= limit, `${file}: ${bytes} bytes`);
  }
});

test("the README shows the snippet this build makes", () => {
  const snippet = readFileSync("dist/snippet.min.js", "utf8").trim();
  assert.ok(readFileSync("README.md", "utf8").includes(snippet), "paste dist/snippet.min.js into README.md");
});

test("every export of package.json exists", () => {
  const pkg = JSON.parse(readFileSync("package.json", "utf8"));
  const paths = [pkg.types, ...Object.values(pkg.exports).flatMap((e) => (typeof e === "string" ? [e] : Object.values(e)))];
  for (const p of paths.filter((p) => !p.includes("*"))) assert.ok(existsSync(p), `${p} is missing`);
});

// The facade's API methods are checked against js/consentry.d.ts's OptIn,
// and the gate's answers against its State type.
test("the JS shell's checked files type-check (// @ts-check, strict)", () => {
  execFileSync("node_modules/.bin/tsc", [
    "--noEmit", "--allowJs", "--checkJs", "--strict", "--target", "es2020", "--module", "esnext", "--moduleResolution", "bundler",
    "--lib", "es2020,es2022.object,dom", "js/globals.d.ts", "js/facade.js", "js/integrations.js", "js/stub.js", "js/common.js", "js/tcf.js", "js/capture.js", "js/bridge.js", "js/modal.js", "js/host.js", "js/form-kit.js", "js/form-wasm.js", "js/verification.js", "js/join.js", "js/signup.js", "js/receipts.js", "js/ui.js", "js/gpp.js",
  ], { stdio: "inherit" });
});

test("the TypeScript types compile against every public call", () => {
  execFileSync("node_modules/.bin/tsc", [
    "--noEmit", "--strict", "--target", "es2020", "--module", "esnext", "--moduleResolution", "bundler",
    "--lib", "es2020,es2022.object,dom", "tests/types/usage.ts", "tests/types/script.ts",
  ], { stdio: "inherit" });
});

test("docs/performance.md's size table is this build's (npm run size -- --write)", () => {
  assert.equal(readSection(MARKERS), sizes().table);
});

test("docs/performance.md's benchmark figures are bench/results.json's (npm run bench writes both)", () => {
  assert.equal(readSection(BENCH_MARKERS), report(JSON.parse(readFileSync("bench/results.json", "utf8"))));
});

test("docs/performance.md's load figures are bench/load.json's (npm run load writes both)", () => {
  assert.equal(readSection(LOAD_MARKERS), load(JSON.parse(readFileSync("bench/load.json", "utf8"))));
});

test("docs/sandbox.md starts the sandbox with npm run demo's command line", () => {
  const readme = readFileSync("docs/sandbox.md", "utf8");
  assert.ok(readme.includes(`${SERVER_COMMAND.join(" ")} -- --port 8080`), `docs/sandbox.md shows ${SERVER_COMMAND.join(" ")}`);
});

// Each form's module carries the English texts of its form only (issue 26):
// every text a form's shell shows by name is among the texts its options
// answer (the keys a site may override). The keys the wasm names at run
// time (a refusal, a typed number's error) are checked natively.
test("each form's shell shows only texts its form has", async () => {
  const { bind } = await import("../../js/wasm-glue.js");
  const { OPTIONS, VERIFY_OPTIONS, SIGNUP_OPTIONS } = await import("../../build/form-protocol.js");
  // The form's options, as its own module answers them.
  const options = (form, op, options) => {
    const wasm = bind("form");
    wasm.initSync({ module: new WebAssembly.Module(readFileSync(`dist/consentry-form-${form}_bg.wasm`)) });
    return wasm.call(op, JSON.stringify(options), "", "", 0);
  };
  const keys = (answer) => Object.keys(JSON.parse(answer).texts);
  const group = (id) => ({ subscriptionGroupId: id, disclosure: "Terms" });
  const kit = readFileSync("js/form-kit.js", "utf8");
  for (const [file, answer] of [
    ["js/capture.js", options("capture", OPTIONS, { ...group("sms"), endpoint: "/", programme: "Acme" })],
    ["js/verification.js", options("verification", VERIFY_OPTIONS, { endpoint: "/" })],
    ["js/signup.js", options("signup", SIGNUP_OPTIONS, { endpoint: "/", email: group("news"), sms: group("sms") })],
  ]) {
    const has = keys(answer);
    // t("key"), t(a == "b" ? "key" : "other"), and the phone row's o.texts.key.
    const shown = [...readFileSync(file, "utf8").matchAll(/\bt\(([^()]*)/g)].flatMap(([, args]) => [...args.matchAll(/(?<![=!]=\s*)"([a-z_]+)"/g)].map((m) => m[1]));
    shown.push(...[...kit.matchAll(/o\.texts\.([a-z_]+)/g)].map((m) => m[1]));
    assert.ok(shown.length > 5, `${file}: ${shown}`);
    for (const k of shown) assert.ok(has.includes(k), `${file} shows the text ${k}, which its form does not have (${has})`);
  }
});

// The entries pick the gate's build by FULL_KEYS (js/facade.js); the plain
// gate refuses each of them by name, so a key missing from the list would
// leave its pages on a build that refuses their configuration.
test("the plain gate refuses exactly the keys the entries load the full build for", async () => {
  const { initSync, call: gate } = (await import("../../js/wasm-glue.js")).bind("gate");
  initSync({ module: new WebAssembly.Module(readFileSync("dist/consentry_bg.wasm")) });
  const { FULL_KEYS } = await import("../../js/facade.js");
  const { START } = await import("../../build/protocol.js");
  const start = (config) => JSON.parse(gate(START, `[${JSON.stringify(config)},false,"0123","www.example.com",[[null,null],[null,null],[null,null]]]`, Date.now()));
  for (const key of FULL_KEYS) {
    assert.match(start({ [key]: {} }).error ?? "", new RegExp(`^config\\.${key} needs the gate's full build`), key);
  }
  // Every other key the plain gate reads starts.
  assert.equal(start({ doesOptInApply: true, categories: ["sms"], gpc: { sale: ["sms"] }, isIabContext: true, storage: "localStorage", revision: 2 }).error, undefined);
});
