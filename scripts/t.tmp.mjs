import * as esbuild from "esbuild";
import zlib from "node:zlib";
const br = (b) => zlib.brotliCompressSync(b,{params:{[zlib.constants.BROTLI_PARAM_QUALITY]:11}}).length;
for (const define of [{ GCM: "false", GPP: "true", FULL: "false", EARLY: "false" },{ GCM: "false", GPP: "false", FULL: "false", EARLY: "false" }]) {
  const r = await esbuild.build({ bundle: true, minify: true, target: "es2020", define, logOverride: { "empty-import-meta": "silent" }, entryPoints: ["js/script.js"], format: "iife", write: false, metafile: true });
  const t = r.outputFiles[0].contents; console.log(JSON.stringify(define), t.length, br(t));
  const a = await esbuild.analyzeMetafile(r.metafile); console.log(a);
}
