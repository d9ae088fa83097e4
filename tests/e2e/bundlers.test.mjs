// Packaging: the `npm pack` tarball installed into a scratch app (a copy
// of tests/package/app), built with esbuild, Vite (build and dev server)
// and webpack 5 exactly as the README's "With a bundler" section says,
// served and checked in Chromium: the gate starts, a phone form renders
// with its stylesheet, a TC string decodes. Then the package is imported
// and required in Node, as server rendering does.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, readdirSync, writeFileSync, createReadStream, existsSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join, extname, resolve } from "node:path";
import { launch } from "./harness.mjs";

const ROOT = resolve(".");
const BIN = join(ROOT, "node_modules/.bin");
const TC = JSON.parse(readFileSync("tests/fixtures/tcf.json", "utf8"))[0];
const BRAND = "rgb(67, 56, 202)";
let app, browser, tarball;

before(async () => {
  const dir = mkdtempSync(join(tmpdir(), "consentry-pack-"));
  const packed = JSON.parse(execFileSync("npm", ["pack", "--json", "--pack-destination", dir], { encoding: "utf8" }));
  tarball = { path: join(dir, packed[0].filename), files: packed[0].files.map((f) => f.path) };
  app = join(dir, "app");
  cpSync("tests/package/app", app, { recursive: true });
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "scratch-app", private: true, type: "module" }));
  execFileSync("npm", ["install", "--offline", "--no-audit", "--no-fund", "--no-save", tarball.path], { cwd: app, stdio: "inherit" });
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

const TYPES = { ".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css", ".wasm": "application/wasm" };

// A plain static server over `dir`, as any host would serve a built site.
function serve(dir) {
  const server = createServer((req, res) => {
    let file = join(dir, decodeURIComponent(new URL(req.url, "http://x").pathname));
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, "index.html");
    if (!file.startsWith(dir) || !existsSync(file)) return res.writeHead(404).end();
    res.writeHead(200, { "Content-Type": TYPES[extname(file)] || "application/octet-stream" });
    createReadStream(file).pipe(res);
  });
  return new Promise((ok) => server.listen(0, "127.0.0.1", () => ok({ url: `http://127.0.0.1:${server.address().port}/`, close: () => server.close() })));
}

async function check(url) {
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => m.type() === "error" && !m.text().startsWith("Failed to load resource") && errors.push(m.text()));
  page.on("response", (r) => r.status() >= 400 && errors.push(`${r.status()} ${r.url()}`));
  await page.goto(`${url}?tc=${encodeURIComponent(TC.tcString)}`);
  const result = await page.evaluate(() => window.result);
  await page.close();
  assert.deepEqual(errors, []);
  assert.deepEqual(result, { approved: true, form: 1, styled: BRAND, cmpId: TC.cmpId });
}

test("the tarball holds the builds, the form's stylesheet, the types and the LICENSE", () => {
  for (const f of ["LICENSE", "README.md", "package.json", "js/consentry.d.ts", "js/script.d.ts", "dist/consentry.mjs", "dist/consentry.js", "dist/consentry_bg.js", "dist/consentry-full_bg.js", "dist/consentry-full.mjs",
    "dist/consentry_bg.wasm", "dist/consentry-full_bg.wasm", "dist/consentry-form-capture.mjs", "dist/consentry-form-capture_bg.wasm", "dist/consentry-form-verification.mjs", "dist/consentry-form-verification_bg.wasm",
    "dist/consentry-form-signup.mjs", "dist/consentry-form-signup_bg.wasm", "dist/consentry-form-join.mjs", "dist/consentry-form-join_bg.wasm", "dist/consentry-form-bridge.mjs", "dist/consentry-form-modal.mjs", "dist/consentry-form-modal.css", "dist/consentry-form.css", "dist/consentry-form-capture.css",
    "dist/consentry-iab.mjs", "dist/consentry-iab_bg.wasm", "dist/consentry-tcstring.mjs", "dist/consentry-tcstring_bg.wasm", "dist/consentry-gpp.mjs", "dist/consentry-gpp_bg.wasm", "dist/snippet.min.js", "dist/snippet-consent-mode.min.js"]) {
    assert.ok(tarball.files.includes(f), `${f} is in the tarball`);
  }
});

test("esbuild: the README's command and copy step", async () => {
  const out = join(app, "out-esbuild");
  // The README's lines for esbuild.
  execFileSync(join(BIN, "esbuild"), ["main.js", "--bundle", "--format=esm", "--splitting", "--outdir=out-esbuild"], { cwd: app, stdio: "inherit" });
  for (const f of readdirSync(join(app, "node_modules/consentry/dist")).filter((f) => /\.(wasm|css)$/.test(f))) {
    cpSync(join(app, "node_modules/consentry/dist", f), join(out, f));
  }
  cpSync(join(app, "index.html"), join(out, "index.html"));
  const site = await serve(out);
  try {
    await check(site.url);
  } finally {
    site.close();
  }
});

test("Vite: vite build, unchanged", async () => {
  const { build } = await import("vite");
  await build({ root: app, logLevel: "warn", build: { outDir: "out-vite" } });
  const site = await serve(join(app, "out-vite"));
  try {
    await check(site.url);
  } finally {
    site.close();
  }
});

test("Vite: the dev server, unchanged", async () => {
  const { createServer: vite } = await import("vite");
  const server = await vite({ root: app, logLevel: "warn", server: { host: "127.0.0.1", port: 0 }, cacheDir: join(app, ".vite-cache") });
  await server.listen();
  try {
    await check(server.resolvedUrls.local[0]);
  } finally {
    await server.close();
  }
});

test("webpack 5: unchanged", async () => {
  const webpack = (await import("webpack")).default;
  const out = join(app, "out-webpack");
  const stats = await new Promise((ok, fail) =>
    webpack({ mode: "production", context: app, entry: "./main.js", output: { path: out }, performance: { hints: false } }, (e, s) => (e ? fail(e) : ok(s))),
  );
  assert.equal(stats.hasErrors(), false, stats.toString("errors-only"));
  writeFileSync(join(out, "index.html"), readFileSync(join(app, "index.html"), "utf8").replace('type="module" src="./main.js"', 'src="./main.js"'));
  const site = await serve(out);
  try {
    await check(site.url);
  } finally {
    site.close();
  }
});

test("server rendering: importing or requiring the package in Node throws nothing; init rejects clearly", () => {
  const script = `
    const m = await import("consentry");
    const required = (await import("node:module")).createRequire(import.meta.url)("consentry");
    const c = m.default;
    const out = { approved: c.isApproved("aa"), status: c.status, sameObject: required.default === c };
    try { await m.init({}); out.init = "resolved"; } catch (e) { out.init = e.message; }
    console.log(JSON.stringify(out));`;
  const out = JSON.parse(execFileSync("node", ["--input-type=module", "-e", script], { cwd: app, encoding: "utf8" }));
  assert.deepEqual(out, {
    approved: false, status: "pending", sameObject: true,
    init: "consentry.init: there is no page here (window is not defined); call init in the browser, e.g. in useEffect, onMount or a client-only script",
  });
});
