// Packaging: the inline snippet's size, the package's exports, and the
// TypeScript types compiled against an example that uses every call.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";

test("the inline snippet stays under 1 KB", () => {
  const bytes = readFileSync("dist/snippet.min.js").length;
  assert.ok(bytes < 1024, `${bytes} bytes`);
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

test("the TypeScript types compile against every public call", () => {
  execFileSync("node_modules/.bin/tsc", [
    "--noEmit", "--strict", "--target", "es2020", "--module", "esnext", "--moduleResolution", "bundler",
    "--lib", "es2020,dom", "tests/types/usage.ts",
  ], { stdio: "inherit" });
});
