// npm run build: wasm (cargo, wasm-bindgen, wasm-opt from binaryen), then the
// ESM and script-tag bundles and the inline snippet (esbuild) into dist/.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import * as esbuild from "esbuild";
import { stub } from "../js/stub.js";
import { LANGUAGES } from "../js/ui.js";

const run = (cmd, args) => execFileSync(cmd, args, { stdio: "inherit" });
const WASM_FEATURES = [
  "--enable-bulk-memory", "--enable-nontrapping-float-to-int", "--enable-sign-ext",
  "--enable-mutable-globals", "--enable-reference-types", "--enable-multivalue",
];

rmSync("dist", { recursive: true, force: true });
mkdirSync("dist", { recursive: true });
// The gate, the phone form's module (loaded only by pages that show it) and
// the IAB TCF module (loaded only by pages that use TCF).
// Built one at a time: together, cargo would give the gate the others'
// features. The gate leaves std out (see gate/Cargo.toml): its panic
// machinery costs KBs.
for (const [crate, name, features, dir = "build", glue = name] of [
  ["consentry_gate", "consentry", ["--no-default-features"]],
  // The gate with the banner's decisions, for configurations with `ui`.
  // Its glue (build/banner/) must be the plain gate's: the wasm names its
  // imports after the glue's file, so it is generated under the same name.
  ["consentry_gate", "consentry-banner", ["--no-default-features", "--features", "banner"], "build/banner", "consentry"],
  ["consentry_form", "consentry-form", ["--no-default-features"]],
  ["consentry_iab", "consentry-iab", ["--no-default-features"]],
  ["consentry_gpp", "consentry-gpp", ["--no-default-features"]],
  ["consentry_qr", "consentry-qr", ["--no-default-features"]],
]) {
  run("cargo", ["build", "--profile", "wasm", "--target", "wasm32-unknown-unknown", "-p", crate.replace("_", "-"), ...features]);
  // The modules' types (build/*.d.ts) let tsc check the shell over them.
  run("wasm-bindgen", [
    "--target", "web", "--omit-default-module-path", "--encode-into", "always",
    "--out-dir", dir, "--out-name", glue,
    `target/wasm32-unknown-unknown/wasm/${crate}.wasm`,
  ]);
  run("node_modules/binaryen/bin/wasm-opt", [
    // --converge repeats -Oz while it still shrinks the module (about 200
    // bytes brotli on the gate); the target features section is not needed.
    ...WASM_FEATURES, "-Oz", "--converge", "--strip-debug", "--strip-producers", "--strip-target-features",
    `${dir}/${glue}_bg.wasm`, "-o", `dist/${name}_bg.wasm`,
  ]);
}
// Both gates run under the one glue the shell imports (build/consentry.js).
if (readFileSync("build/consentry.js", "utf8") !== readFileSync("build/banner/consentry.js", "utf8")) {
  throw new Error("build/consentry.js and build/banner/consentry.js differ: the banner's gate needs the plain gate's glue");
}

const common = {
  bundle: true, minify: true, target: "es2020", define: { GCM: "true", EARLY: "false" }, logOverride: { "empty-import-meta": "silent" },
};
// The ESM build keeps its literal `import("./consentry-form.mjs")` and
// `new URL("./…", import.meta.url)` for the site's bundler to see.
await esbuild.build({
  ...common, entryPoints: ["js/esm.js"], format: "esm", outfile: "dist/consentry.mjs",
  external: ["./consentry-form.mjs", "./consentry-iab.mjs", "./consentry-gpp.mjs", "./consentry-receipts.mjs", "./consentry-qr.mjs", "./consentry-ui*.mjs"],
});
await esbuild.build({ ...common, entryPoints: ["js/script.js"], format: "iife", outfile: "dist/consentry.js" });
// The form's and the banner's default looks, beside their modules.
await esbuild.build({ entryPoints: ["form/consentry-form.css"], minify: true, outfile: "dist/consentry-form.css" });
await esbuild.build({ entryPoints: ["js/ui/consentry-ui.css"], minify: true, outfile: "dist/consentry-ui.css" });
// The banner's texts: one module per language (js/ui/<lang>.js).
for (const lang of LANGUAGES) {
  await esbuild.build({ ...common, entryPoints: [`js/ui/${lang}.js`], format: "esm", outfile: `dist/consentry-ui-${lang}.mjs` });
}
// Each module is its JS shell over its wasm's glue.
for (const [m, entry] of [["consentry-form", "js/form.js"], ["consentry-iab", "js/tcf.js"], ["consentry-gpp", "js/gpp.js"], ["consentry-receipts", "js/receipts.js"], ["consentry-qr", "js/qr.js"], ["consentry-ui", "js/ui.js"]]) {
  await esbuild.build({ ...common, entryPoints: [entry], format: "esm", outfile: `dist/${m}.mjs` });
}
// The demo's CMP (not part of the package): the IAB's stub, CMP API and core.
await esbuild.build({ bundle: true, minify: true, target: "es2020", entryPoints: ["demo/cmp/entry.js"], format: "iife", outfile: "demo/vendor/iab-cmp.js" });
// The IAB's GPP CMP API, for the demo page of another CMP and the tests.
await esbuild.build({ bundle: true, minify: true, target: "es2020", entryPoints: ["demo/cmp/gpp-entry.js"], format: "iife", outfile: "demo/vendor/iab-gpp.js" });
// The demo's in-app message page: Braze's own Web SDK.
await esbuild.build({ bundle: true, minify: true, target: "es2020", entryPoints: ["demo/braze/entry.js"], format: "iife", outfile: "demo/vendor/braze.js" });

// The inline snippets: the stub called with the site's base URL and config.
// The base one answers isApproved early from the stored record (a
// configuration with consentMode never gets an early answer, so the
// Consent Mode one leaves that out); the Consent Mode one sends gtag's
// consent default.
for (const [file, gcm, early] of [["snippet.min.js", "false", "true"], ["snippet-consent-mode.min.js", "true", "false"]]) {
  const snippet = await esbuild.transform(
    `(${stub})(window,document,"/consentry/",window.consentryConfig,1)`,
    { minify: true, define: { GCM: gcm, EARLY: early } },
  );
  writeFileSync(`dist/${file}`, snippet.code);
}
console.log("built dist/: consentry_bg.wasm, consentry-banner_bg.wasm, consentry.mjs, consentry.js, snippet.min.js, snippet-consent-mode.min.js, consentry-form.mjs, consentry-form_bg.wasm, consentry-form.css, consentry-iab.mjs, consentry-iab_bg.wasm, consentry-gpp.mjs, consentry-gpp_bg.wasm, consentry-receipts.mjs, consentry-qr.mjs, consentry-qr_bg.wasm, consentry-ui.mjs, consentry-ui.css, consentry-ui-<lang>.mjs; demo/vendor/iab-cmp.js, demo/vendor/iab-gpp.js, demo/vendor/braze.js");
