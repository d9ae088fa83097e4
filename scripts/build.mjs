// npm run build: wasm (cargo, wasm-bindgen, wasm-opt from binaryen), then the
// ESM and script-tag bundles and the inline snippet (esbuild) into dist/.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, readdirSync, writeFileSync, rmSync } from "node:fs";
import { basename } from "node:path";
import * as esbuild from "esbuild";
import { minify } from "terser";
import { stub } from "../js/stub.js";
import { LANGUAGES } from "../js/ui.js";

const run = (cmd, args) => execFileSync(cmd, args, { stdio: "inherit" });
// The phone forms, each its own module (dist/consentry-form-<form>.mjs and
// _bg.wasm) with what its entry exports; the stylesheet is shared. The
// capture form also delivers the outbox (`flush`); one with a text-to-join
// block loads the join module for it.
const FORM_EXPORTS = {
  capture: ["renderPhoneCapture", "./capture.js"],
  verification: ["renderPhoneVerification", "./verification.js"],
  signup: ["renderSignup", "./signup.js"],
  join: ["renderTextToJoin", "./join.js"],
};
const FORMS = Object.keys(FORM_EXPORTS);
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
// `glue`: the name of the glue wasm-bindgen writes for the module's shell
// (build/<dir>/<glue>.js); null for the gate and the forms, whose shells
// call them through js/wasm-glue.js (the core's `abi`, no wasm-bindgen).
for (const [crate, name, features, dir = "build", glue = name, ship = true] of [
  ["consentry_gate", "consentry", ["--no-default-features"], "build", null],
  // The gate's full build: the banner's decisions and the keys only some
  // pages use (FULL_KEYS of js/facade.js).
  ["consentry_gate", "consentry-full", ["--no-default-features", "--features", "full"], "build", null],
  // The phone forms: one module per form (its feature), and the one that
  // says why a form's options are refused (every form, with `messages`),
  // which a form's shell loads only then.
  ...FORMS.map((form) => ["consentry_form", `consentry-form-${form}`, ["--no-default-features", "--features", form], "build", null]),
  ["consentry_form", "consentry-form-explain", ["--no-default-features", "--features", [...FORMS, "messages"].join(",")], "build", null],
  // TCF: the CMP listener's rules (consentry-iab) and the public decoder
  // (consentry-tcstring), each with its glue under the one name the shells
  // import (build/iab-<feature>/), and one with both for the types.
  ["consentry_iab", "consentry-iab", ["--no-default-features", "--features", "cmp"], "build/iab-cmp", "consentry-iab"],
  ["consentry_iab", "consentry-tcstring", ["--no-default-features", "--features", "decode"], "build/iab-decode", "consentry-iab"],
  ["consentry_iab", "consentry-iab", ["--no-default-features", "--features", "cmp,decode"], "build", "consentry-iab", false],
  ["consentry_gpp", "consentry-gpp", ["--no-default-features"]],
  ["consentry_qr", "consentry-qr", ["--no-default-features"]],
]) {
  run("cargo", ["build", "--profile", "wasm", "--target", "wasm32-unknown-unknown", "-p", crate.replace("_", "-"), ...features]);
  const built = `target/wasm32-unknown-unknown/wasm/${crate}.wasm`;
  // The modules' types (build/*.d.ts) let tsc check the shell over them.
  if (glue) run("wasm-bindgen", [
    "--target", "web", "--omit-default-module-path", "--encode-into", "always",
    "--out-dir", dir, "--out-name", glue, built,
  ]);
  if (ship) run("node_modules/binaryen/bin/wasm-opt", [
    // --converge repeats -Oz while it still shrinks the module (about 200
    // bytes brotli on the gate); the target features section is not needed.
    // --low-memory-unused folds constant offsets into loads and stores:
    // rustc puts the stack first, so the low 1 KB is only ever its far end
    // (what is left of a 1 MB stack). --flatten --rereloop rebuilds the
    // control flow before -Oz. (About 250 bytes brotli on the gate.)
    // --one-caller-inline-max-function-size=30: -Oz inlines every function
    // with one caller, however large; inlining only the small ones keeps
    // the big ones apart, which compresses better (-277 on the gate, and
    // from -7 to -410 on every other module; 0, 10, 20, 40, 50, 80, 120 and
    // 200 were measured too). --reorder-functions then gives the most
    // called functions the shortest indices, and -Oz again tidies after it
    // (-53 on the gate, -133 on the capture form's module).
    ...WASM_FEATURES, "--low-memory-unused", "--flatten", "--rereloop", "-Oz", "--converge", "--one-caller-inline-max-function-size=30",
    "--reorder-functions", "-Oz", "--strip-debug", "--strip-producers", "--strip-target-features",
    glue ? `${dir}/${glue}_bg.wasm` : built, "-o", `dist/${name}_bg.wasm`,
  ]);
}
// js/wasm-glue.js is the whole boundary of the gate's and the forms' wasm:
// the build fails when one imports anything, or exports more or other
// than the glue calls (the core's `abi`: `alloc`, and the one export).
for (const [wasm, name] of [["consentry", "gate"], ["consentry-full", "gate"], ...[...FORMS, "explain"].map((f) => [`consentry-form-${f}`, "form"])]) {
  const module = new WebAssembly.Module(readFileSync(`dist/${wasm}_bg.wasm`));
  const imports = JSON.stringify(WebAssembly.Module.imports(module));
  // (rustc also exports two globals, __data_end and __heap_base.)
  const exports = WebAssembly.Module.exports(module).filter((e) => e.kind != "global").map((e) => e.name).sort().join();
  if (imports != "[]" || exports != ["alloc", "memory", name].sort().join()) {
    throw new Error(`dist/${wasm}_bg.wasm imports ${imports} and exports ${exports}: js/wasm-glue.js gives it nothing and calls alloc, memory and ${name}`);
  }
}
// The operation codes of the gate's and the forms' one export, from their
// one source (`mod op` of gate/src/lib.rs and form/src/wasm.rs), for the
// shells to import (build/protocol.js, build/form-protocol.js).
// esbuild refuses the shell's import of a code this does not write.
for (const [source, out] of [["gate/src/lib.rs", "build/protocol.js"], ["form/src/wasm.rs", "build/form-protocol.js"]]) {
  const op = readFileSync(source, "utf8").match(/\npub mod op \{\n[^]*?\n\}\n/);
  if (!op) throw new Error(`${source} has no \`pub mod op { ... }\``);
  const ops = [...op[0].matchAll(/pub const ([A-Z_]+): u32 = (\d+);/g)];
  writeFileSync(out, `// Generated by scripts/build.mjs from ${source} (mod op).\n` +
    ops.map(([, name, code]) => `export const ${name} = ${code};\n`).join(""));
}
const common = {
  bundle: true, minify: true, target: "es2020", define: { GCM: "true", GPP: "true", FULL: "true", EARLY: "false", STUB: "false", ESM: "false", SNIPPET: "false" }, logOverride: { "empty-import-meta": "silent" },
};
// The ESM build keeps its literal `import("./consentry-form.mjs")` and
// `new URL("./…", import.meta.url)` for the site's bundler to see.
await esbuild.build({
  ...common, define: { ...common.define, ESM: "true", STUB: "true" }, entryPoints: ["js/esm.js"], format: "esm", outfile: "dist/consentry.mjs",
  external: ["./consentry-full.mjs", "./consentry-form-*.mjs", "./consentry-iab.mjs", "./consentry-tcstring.mjs", "./consentry-gpp.mjs", "./consentry-receipts.mjs", "./consentry-qr.mjs", "./consentry-ui*.mjs"],
});
// The script tag's builds (js/script.js): the plain gate's shell (no
// banner, Consent Mode, UET, GPP or cookie cleanup: its configurations have
// none), with the stub for a page without the snippet (consentry.js, a
// classic script) and without it for the snippet's page (consentry_bg.js);
// and the full one's, which the snippet or the plain script loads for the
// others. The two without the stub are modules, which the snippet imports.
const plain = { ...common.define, GCM: "false", GPP: "false", FULL: "false" };
for (const [file, define] of [["consentry.js", { ...plain, STUB: "true" }], ["consentry_bg.js", plain], ["consentry-full_bg.js", common.define]]) {
  await esbuild.build({ ...common, define, entryPoints: ["js/script.js"], format: define.STUB == "true" ? "iife" : "esm", outfile: `dist/${file}` });
}
// The full gate as a module of its own, over the glue the shell attaches
// (js/host.js): the shell has it say why the plain gate refused a
// configuration, which the plain one does not say (the core's `messages`).
await esbuild.build({ ...common, stdin: { contents: `export { attach } from "./host.js";\nimport { bound } from "./host.js";\nexport const { initSync, call: gate } = bound("gate");\n`, resolveDir: "js", sourcefile: "consentry-full.js" }, format: "esm", outfile: "dist/consentry-full.mjs" });
// The forms' build that says why options are refused, over the forms'
// binding, which takes its glue from the script that loads it (js/host.js).
await esbuild.build({ ...common, stdin: { contents: `export { attach } from "./host.js";\nexport { initSync, form } from "./form-wasm.js";\n`, resolveDir: "js", sourcefile: "consentry-form-explain.js" }, format: "esm", outfile: "dist/consentry-form-explain.mjs" });
// The form's and the banner's default looks, beside their modules.
// consentry-form.css has every form's rules (the modal's from
// form/modal.css, the verification form's and text-to-join's from
// form/more-forms.css); the capture form's page loads
// consentry-form-capture.css, without those, and a modal's
// consentry-form-modal.css too.
await esbuild.build({ entryPoints: ["form/consentry-form.css"], minify: true, outfile: "dist/consentry-form-capture.css" });
await esbuild.build({ entryPoints: ["form/modal.css"], minify: true, outfile: "dist/consentry-form-modal.css" });
await esbuild.build({ stdin: { contents: '@import "./consentry-form.css";\n@import "./modal.css";\n@import "./more-forms.css";\n', resolveDir: "form", loader: "css" }, bundle: true, minify: true, outfile: "dist/consentry-form.css" });
await esbuild.build({ entryPoints: ["js/ui/consentry-ui.css"], minify: true, outfile: "dist/consentry-ui.css" });
// The banner's texts: one module per language (js/ui/<lang>.js).
for (const lang of LANGUAGES) {
  await esbuild.build({ ...common, entryPoints: [`js/ui/${lang}.js`], format: "esm", outfile: `dist/consentry-ui-${lang}.mjs` });
}
// A shell imports its glue as "../build/<file>"; a TCF module, built from
// one feature of its crate, takes that build's glue (build/<dir>/<file>).
const glueFrom = (file, dir) => ({
  name: "glue", setup: (b) => b.onResolve({ filter: new RegExp(`/build/${file.replaceAll(".", "\\.")}$`) }, () => ({ path: `${process.cwd()}/build/${dir}/${file}` })),
});
// Each module is its JS shell over its wasm's glue; a form's module takes
// the glue, reports and Errors from the script that loads it (`attach`,
// js/host.js).
for (const form of FORMS) {
  const [call, file] = FORM_EXPORTS[form];
  const contents = `export { attach } from "./host.js";\nexport { initSync } from "./form-wasm.js";\nexport { ${call} } from "${file}";\n` +
    (form == "capture" ? `export { flush } from "./form-kit.js";\n` : "");
  await esbuild.build({ ...common, stdin: { contents, resolveDir: "js", sourcefile: `consentry-form-${form}.js` }, format: "esm", outfile: `dist/consentry-form-${form}.mjs` });
}
// The forms' texts in each language of form/texts/ (Korean, Japanese), each
// a module of its own that a form in that language loads (English is built
// into the wasm).
for (const file of readdirSync("form/texts")) {
  writeFileSync(`dist/consentry-form-${basename(file, ".json")}.mjs`, `export default ${JSON.stringify(JSON.parse(readFileSync(`form/texts/${file}`, "utf8")))};\n`);
}
// The two TCF modules, each over its own build's glue.
for (const [m, entry, dir] of [["consentry-iab", "js/tcf.js", "iab-cmp"], ["consentry-tcstring", "js/tcstring.js", "iab-decode"]]) {
  await esbuild.build({ ...common, entryPoints: [entry], format: "esm", outfile: `dist/${m}.mjs`, plugins: [glueFrom("consentry-iab.js", dir)] });
}
for (const [m, entry] of [["consentry-gpp", "js/gpp.js"], ["consentry-receipts", "js/receipts.js"], ["consentry-form-bridge", "js/bridge.js"], ["consentry-form-modal", "js/modal.js"], ["consentry-qr", "js/qr.js"], ["consentry-ui", "js/ui.js"]]) {
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
    `(${stub})(window,"/consentry/",window.consentryConfig)`,
    { minify: true, define: { GCM: gcm, GPP: gcm, EARLY: early, STUB: "true", SNIPPET: "true" } },
  );
  writeFileSync(`dist/${file}`, snippet.code);
}
// Every script and module again through terser: after esbuild's bundling
// and minifying, its passes take about 5% more off (240 bytes brotli of
// the gate page's script). Safe transforms only: a page may have replaced
// built-ins or given getters that throw.
for (const file of readdirSync("dist").filter((f) => /\.m?js$/.test(f))) {
  const { code } = await minify(readFileSync(`dist/${file}`, "utf8"), { module: file.endsWith(".mjs") || file.endsWith("_bg.js"), compress: { passes: 2 } });
  writeFileSync(`dist/${file}`, code);
}
console.log("built dist/: consentry_bg.wasm, consentry-full_bg.wasm, consentry.mjs, consentry.js, consentry_bg.js, consentry-full_bg.js, consentry-full.mjs, snippet.min.js, snippet-consent-mode.min.js, consentry-form-<form>.mjs and _bg.wasm, consentry-form-explain.mjs and _bg.wasm, consentry-form-bridge.mjs, consentry-form-modal.mjs, consentry-form.css, consentry-form-capture.css, consentry-form-modal.css, consentry-iab.mjs, consentry-iab_bg.wasm, consentry-tcstring.mjs, consentry-tcstring_bg.wasm, consentry-gpp.mjs, consentry-gpp_bg.wasm, consentry-receipts.mjs, consentry-qr.mjs, consentry-qr_bg.wasm, consentry-ui.mjs, consentry-ui.css, consentry-ui-<lang>.mjs; demo/vendor/iab-cmp.js, demo/vendor/iab-gpp.js, demo/vendor/braze.js");
