// The README's load table, from the figures `sandbox-load` wrote to
// bench/load.json (`npm run load` runs both). `npm test` checks that the
// README still shows what this would write (tests/e2e/package.test.mjs).
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { writeSection } from "../scripts/readme.mjs";

export const MARKERS = ["<!-- load table: npm run load -->", "<!-- /load table -->"];

// The relay's throughput goal (issue 14), requests per second.
const RELAY_GOAL = 2000;

const n = (x) => Math.round(x).toLocaleString("en-US");

export function report(r) {
  const o = r.options;
  const label = {
    steady: `steady, ${o.seconds} s`,
    kill: `SIGKILL at ${o.kill_at} s and restart`,
    relay: `through the relay, relay killed at ${o.kill_at} s`,
  };
  const rows = r.phases.map((p) =>
    `| ${label[p.phase]} | ${n(p.acknowledged)} | ${n(p.per_second)} (${n(p.slowest_second)}) | ${p.p50_ms.toFixed(1)} ms | ${p.p99_ms.toFixed(1)} ms | ${n(p.max_ms)} ms | ${p.lost} | ${p.twice} |`);
  const relay = r.phases.find((p) => p.phase === "relay");
  return [
    `Latest run, on ${r.machine.cpu} (${r.machine.cores} cores), ${o.connections} connections (the load generator, the relay and the sandbox share the cores):`,
    "",
    "| run | acknowledged | per second (slowest second) | p50 | p99 | max | lost | twice |",
    "|---|---:|---:|---:|---:|---:|---:|---:|",
    ...rows,
    "",
    `Through the relay: ${n(relay.per_second)} requests per second against a goal of ${n(RELAY_GOAL)} (${relay.per_second >= RELAY_GOAL ? "met" : "not met"}); the slowest request took ${n(relay.max_ms)} ms (goal: under 1,000 ms, ${relay.max_ms < 1000 ? "met" : "not met"}).`,
  ].join("\n");
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = JSON.parse(readFileSync(new URL("./load.json", import.meta.url), "utf8"));
  writeSection(MARKERS, report(r));
  console.log(report(r));
}
