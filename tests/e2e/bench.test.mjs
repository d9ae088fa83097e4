// The benchmark harness (npm run bench), run once with one load of each
// contender so it cannot rot. Nothing here is timed against a target: the
// figures only have to exist.
import { test } from "node:test";
import assert from "node:assert/strict";
import { bench, table, goals } from "../../bench/run.mjs";

test("npm run bench: every contender loads, answers and gets every figure", async () => {
  const r = await bench({ loads: 1, traced: 1, calls: 100_000, decodes: 20, log: () => {} });
  assert.deepEqual(Object.keys(r.contenders), ["Consentry", "Consentry + form", "Consentry + banner", "vanilla-cookieconsent", "klaro", "Osano cookieconsent"]);
  for (const [name, c] of Object.entries(r.contenders)) {
    // Heap added is over a blank page's, so noise may take it below zero.
    for (const [key, v] of Object.entries(c)) assert.ok(Number.isFinite(v) && (v >= 0 || key === "heapAddedBytes"), `${name} ${key}: ${v}`);
    // (A short check loop may finish within the timer's resolution: 0 ns.)
    assert.ok(c.transferBrotli > 1000 && c.coldMedianMs > 0 && c.longestTaskMs > 0, `${name}: ${JSON.stringify(c)}`);
  }
  // The form variant downloads the form module on top of the gate.
  assert.ok(r.contenders["Consentry + form"].transferBrotli > r.contenders.Consentry.transferBrotli + 15_000);
  for (const ns of Object.values(r.tcDecodeNsPerCall)) assert.ok(ns > 0);
  assert.match(table(r), /\| transfer brotli \(KB\) \| [\d.]+ \|/);
  // The banner variant downloads its module; the banners are timed.
  assert.ok(r.contenders["Consentry + banner"].transferBrotli > r.contenders.Consentry.transferBrotli + 3_000);
  for (const name of ["Consentry + banner", "vanilla-cookieconsent", "klaro"]) assert.ok(r.contenders[name].bannerMedianMs > 0, name);
  assert.match(table(r), /\| first visit: banner visible, median \(ms\) \| - \| - \| [\d.]+ \| [\d.]+ \| [\d.]+ \| - \|/);
  // The gated tag runs on a return visit for every contender that has one.
  for (const name of ["Consentry", "vanilla-cookieconsent", "klaro", "Osano cookieconsent"]) assert.ok(r.contenders[name].tagMedianMs > 0, name);
  assert.equal(goals(r).split("\n").filter((l) => / (met|not met)$/.test(l)).length, 8);
});
