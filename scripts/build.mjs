// npm run build: wasm (cargo, wasm-bindgen, wasm-opt from binaryen), then the
// ESM and script-tag bundles and the inline snippet (esbuild) into dist/.
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync, rmSync } from "node:fs";
import * as esbuild from "esbuild";
import { stub } from "../js/stub.js";

const run = (cmd, args) => execFileSync(cmd, args, { stdio: "inherit" });
const WASM_FEATURES = [
  "--enable-bulk-memory", "--enable-nontrapping-float-to-int", "--enable-sign-ext",
  "--enable-mutable-globals", "--enable-reference-types", "--enable-multivalue",
];

rmSync("dist", { recursive: true, force: true });
mkdirSync("dist", { recursive: true });
// The gate, and the phone form's module (loaded only by pages that show it).
// Built one at a time: together, cargo would give the form the gate's
// default features.
// The gate leaves std out (see src/lib.rs): its panic machinery costs KBs.
for (const [crate, name, features] of [
  ["consentry", "consentry", ["--no-default-features", "--features", "web"]],
  ["consentry_form", "consentry-form", []],
]) {
  run("cargo", ["build", "--release", "--target", "wasm32-unknown-unknown", "-p", crate.replace("_", "-"), ...features]);
  run("wasm-bindgen", [
    "--target", "web", "--no-typescript", "--out-dir", "build", "--out-name", name,
    `target/wasm32-unknown-unknown/release/${crate}.wasm`,
  ]);
  run("node_modules/binaryen/bin/wasm-opt", [
    ...WASM_FEATURES, "-Oz", "--strip-debug", "--strip-producers",
    `build/${name}_bg.wasm`, "-o", `dist/${name}_bg.wasm`,
  ]);
}

const common = { bundle: true, minify: true, target: "es2020", logOverride: { "empty-import-meta": "silent" } };
await esbuild.build({ ...common, entryPoints: ["js/esm.js"], format: "esm", outfile: "dist/consentry.mjs" });
await esbuild.build({ ...common, entryPoints: ["js/script.js"], format: "iife", outfile: "dist/consentry.js" });
await esbuild.build({ ...common, entryPoints: ["build/consentry-form.js"], format: "esm", outfile: "dist/consentry-form.mjs" });

// The inline snippet: the stub called with the site's base URL and config.
const snippet = await esbuild.transform(
  `(${stub})(window,document,"/consentry/",window.consentryConfig,1)`,
  { minify: true },
);
writeFileSync("dist/snippet.min.js", snippet.code);
console.log("built dist/: consentry_bg.wasm, consentry.mjs, consentry.js, snippet.min.js, consentry-form.mjs, consentry-form_bg.wasm");
