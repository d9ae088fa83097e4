// Consentry's TC-string decoder (the shipped dist/consentry-tcstring_bg.wasm)
// against the IAB's own @iabtechlabtcf/core on the fixtures' real strings
// and their variants: where the IAB's library throws, ours is an error
// (issue 13: padding, the standard alphabet and whitespace were accepted).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { initSync, decodeTCString } from "../../build/iab-decode/consentry-iab.js";

const { TCString } = createRequire(import.meta.url)("@iabtechlabtcf/core");
const FIXTURES = JSON.parse(readFileSync(new URL("../fixtures/tcf.json", import.meta.url), "utf8"));

initSync({ module: readFileSync(new URL("../../dist/consentry-tcstring_bg.wasm", import.meta.url)) });
const ours = (s) => JSON.parse(decodeTCString(s)).error;
const theirs = (s) => {
  try {
    TCString.decode(s);
  } catch (e) {
    return e.message;
  }
};

test("padding, the standard base64 alphabet and surrounding whitespace are errors, as in the IAB's library", () => {
  for (const { tcString } of FIXTURES) {
    const variants = [
      tcString + "=", tcString + "==", ` ${tcString}`, `${tcString} `, `${tcString}\n`,
      tcString.replace(/[-_]/, (c) => (c == "-" ? "+" : "/")), `/${tcString.slice(1)}`,
    ].filter((v) => v !== tcString);
    assert.equal(ours(tcString), undefined, tcString);
    assert.equal(theirs(tcString), undefined, tcString);
    for (const v of variants) {
      assert.ok(theirs(v), `the IAB's library accepts ${JSON.stringify(v)}`);
      assert.match(ours(v) || "accepted", /^the TC string holds "(=| |\\n|\+|\/)", which is not base64url$/, JSON.stringify(v));
    }
  }
});

test("where the IAB's library throws on a damaged string, ours is an error too", () => {
  // xorshift, seeded: the same damage every run.
  let seed = 0x9e3779b9;
  const next = (n) => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ é";
  let refused = 0;
  for (let i = 0; i < 3000; i++) {
    const s = FIXTURES[next(FIXTURES.length)].tcString;
    const at = next(s.length);
    const damaged = [
      () => s.slice(0, at),
      () => s.slice(0, at) + alphabet[next(alphabet.length)] + s.slice(at + 1),
      () => s.slice(0, at) + alphabet[next(alphabet.length)] + s.slice(at),
    ][next(3)]();
    if (theirs(damaged)) {
      refused++;
      assert.ok(ours(damaged), `the IAB's library refuses ${JSON.stringify(damaged)} (${theirs(damaged)}); ours decodes it`);
    }
  }
  assert.ok(refused > 300, `${refused} damaged strings refused`);
});
