import * as esbuild from "esbuild";
const glueFrom = (file, dir) => ({ name: "glue", setup: (b) => b.onResolve({ filter: new RegExp(`/build/${file.replaceAll(".", "\\.")}$`) }, () => ({ path: `${process.cwd()}/build/${dir}/${file}` })) });
const contents = `export { initSync } from "../build/consentry-form.js";\nexport { renderPhoneCapture } from "./capture.js";\nexport { flush } from "./form-kit.js";\n`;
const r = await esbuild.build({ bundle: true, minify: true, target: "es2020", define: { GCM: "true", GPP: "true", FULL: "true", EARLY: "false" }, stdin: { contents, resolveDir: "js", sourcefile: "x.js" }, format: "esm", write: false, metafile: true, plugins: [glueFrom("consentry-form.js", "form-capture")] });
console.log(await esbuild.analyzeMetafile(r.metafile));
