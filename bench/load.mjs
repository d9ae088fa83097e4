// The load table of docs/performance.md, from the figures `sandbox-load`
// wrote to bench/load.json (`npm run load` runs both). `npm test` checks
// that it still shows what this would write (tests/e2e/package.test.mjs).
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { writeSection } from "../scripts/readme.mjs";

export const MARKERS = ["<!-- load table: npm run load -->", "<!-- /load table -->"];

// The relays' throughput goal (issues 14 and 25), acknowledged per second,
// and the slowest request allowed, ms.
const RELAY_GOAL = 2000;
const SLOWEST_MS = 1000;

const n = (x) => Math.round(x).toLocaleString("en-US");

export function report(r) {
  const o = r.options;
  const label = {
    steady: "steady",
    kill: `SIGKILL at ${o.kill_at} s and restart`,
    relay: `through the relay, relay killed at ${o.kill_at} s`,
    scaleout: `two relays on one PostgreSQL, one killed at ${o.kill_at} s`,
  };
  const met = (ok) => (ok ? "met" : "not met");
  const goal = (p, what) =>
    `${what}: ${n(p.per_second)} acknowledged per second against a goal of ${n(RELAY_GOAL)} (${met(p.per_second >= RELAY_GOAL)}); the slowest request took ${n(p.max_ms)} ms (goal: under ${n(SLOWEST_MS)} ms, ${met(p.max_ms < SLOWEST_MS)}); ${p.lost} lost and ${p.twice} delivered twice (goal: none, ${met(p.lost + p.twice === 0)}).`;
  const connections = (p) => (p.phase == "scaleout" ? o.scaleout_connections ?? o.connections : o.connections);
  const rows = r.phases.map((p) =>
    `| ${label[p.phase]} | ${connections(p)} | ${n(p.acknowledged)} | ${n(p.per_second)} (${n(p.slowest_second)}) | ${p.p50_ms.toFixed(1)} ms | ${p.p99_ms.toFixed(1)} ms | ${n(p.max_ms)} ms | ${p.lost} | ${p.twice} |`);
  const relay = r.phases.find((p) => p.phase === "relay");
  const scaleout = r.phases.find((p) => p.phase === "scaleout");
  return [
    `Latest run, on ${r.machine.cpu} (${r.machine.cores} cores; the load generator, the relays, PostgreSQL and the sandbox share them), ${o.seconds} s each:`,
    "",
    "| run | connections | acknowledged | per second (slowest second) | p50 | p99 | max | lost | twice |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...rows,
    "",
    goal(relay, "Through the relay"),
    ...(scaleout ? ["", goal(scaleout, "Through two relays on one PostgreSQL database")] : []),
  ].join("\n");
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = JSON.parse(readFileSync(new URL("./load.json", import.meta.url), "utf8"));
  writeSection(MARKERS, report(r));
  console.log(report(r));
}
