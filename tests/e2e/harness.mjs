// Starts the demo server (the real binary, on a free port) and headless
// Chromium for the end-to-end tests. `*.site.test` resolves to 127.0.0.1 so
// parent-domain cookies can be tested.
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { connect } from "node:net";
import { before, after } from "node:test";
import { chromium } from "playwright-core";

export const CHROMIUM_ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
  "--no-first-run", "--host-resolver-rules=MAP *.site.test 127.0.0.1, MAP site.test 127.0.0.1",
];

export const SNIPPET = readFileSync(new URL("../../dist/snippet.min.js", import.meta.url), "utf8");
export const SNIPPET_CONSENT_MODE = readFileSync(new URL("../../dist/snippet-consent-mode.min.js", import.meta.url), "utf8");

// The server's command line exactly as `npm run demo` (and the README) runs
// it: `cargo run --release -p consentry-sandbox`, then the server's own
// arguments after `--`. Starting the tests' servers this way is what keeps
// the README's first command from breaking unnoticed.
const DEMO = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")).scripts.demo;
export const SERVER_COMMAND = DEMO.slice(DEMO.indexOf("cargo run"), DEMO.indexOf(" -- ")).split(" ");

// With the relay in front of the sandbox, as the demo runs it. `port`,
// `relayPort` and `db` restart a stopped server where it was.
// `config`: a configuration file instead of the demo's.
// `clock`: with the sandbox-only clock (`POST /sandbox/clock`).
export async function startServer({ port = 0, relayPort = 0, db = join(mkdtempSync(join(tmpdir(), "consentry-e2e-")), "sandbox.db"), config, clock = false } = {}) {
  const [cmd, ...args] = SERVER_COMMAND;
  const extra = [...(config ? ["--config", config] : []), ...(clock ? ["--test-clock"] : [])];
  // Its own process group, so a SIGKILL reaches the server and not only cargo.
  const proc = spawn(cmd, [...args, "--", "--port", String(port), "--relay-port", String(relayPort), "--db", db, ...extra], {
    stdio: ["ignore", "pipe", "inherit"], detached: true, env: { ...process.env, CARGO_TERM_QUIET: "true" },
  });
  const [bound, relay] = await new Promise((resolve, reject) => {
    let out = "";
    proc.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/127\.0\.0\.1:(\d+)\/.*relay on http:\/\/127\.0\.0\.1:(\d+)/);
      if (m) resolve([Number(m[1]), Number(m[2])]);
    });
    proc.on("exit", (code) => reject(new Error(`server exited with ${code}`)));
  });
  const exited = new Promise((resolve) => proc.on("exit", resolve));
  const stop = async () => {
    process.kill(-proc.pid, "SIGKILL");
    await exited;
    // cargo may be reaped before the server: wait until the port is free.
    while (await new Promise((resolve) => connect(bound, "127.0.0.1").on("connect", function () { this.destroy(); resolve(true); }).on("error", () => resolve(false)))) {
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return { port: bound, relayPort: relay, db, stop };
}

export function launch() {
  return chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium", args: CHROMIUM_ARGS });
}

// Opens `html` at `url`, a path the server does not have: its 404 page
// gives the fixture the server's origin (and loopback address space, which a
// page fulfilled by Playwright would lack), then the fixture replaces it.
// `waitUntil` as Playwright's: "domcontentloaded" when a test holds a script
// back (the load event waits for it).
export async function openFixture(context, url, html, waitUntil = "load") {
  const page = await context.newPage();
  page.errors = [];
  page.warnings = [];
  page.on("pageerror", (e) => page.errors.push(e.message));
  page.on("console", (m) => m.type() === "warning" && page.warnings.push(m.text()));
  page.on("console", (m) => m.type() === "error" && !m.text().startsWith("Failed to load resource") && page.errors.push(m.text()));
  await page.goto(url);
  await page.setContent(html, { waitUntil });
  return page;
}

// A page with the inline snippet and `config`, then `body` (HTML).
export function fixture(config, body = "", snippet = SNIPPET) {
  return `<!doctype html><html lang="en"><head><title>fixture</title>
<script>window.consentryConfig = ${config};\n${snippet}</script>${body}</head><body></body></html>`;
}

// Once the gate has taken over from the snippet: its permissions, and the
// calls only it defines (the snippet's early answer fills the permissions
// at parse time, and starts the gate's downloads a task later).
export const ready = (page) => page.waitForFunction(() => Object.keys(window.consentry.permissions).length > 0 && typeof window.consentry.renderSignup == "function");

// Starts the server and Chromium before a test file's tests and stops them
// after; the returned object carries `server` and `browser` once started,
// when `ready(env)` is called too.
export function setup(ready = () => {}, options = {}) {
  const env = {};
  before(async () => {
    env.server = await startServer(options);
    env.browser = await launch();
    ready(env);
  });
  after(async () => {
    await env.browser?.close();
    await env.server?.stop();
    // The server's temporary folder, unless the test file chose its own.
    if (env.server && !options.db) rmSync(dirname(env.server.db), { recursive: true, force: true });
  });
  return env;
}

// The demo relay's ledger entries for a query (`--phone`, `--external-id`,
// `--consent-id`), through the relay's own export (the demo keeps the
// ledger and its signing key beside the sandbox's database). Each export is
// checked offline with the ledger's public key alone, as a third party would.
export function ledger(db, flag, value) {
  const relay = (args, input) => execFileSync("cargo", ["run", "--release", "-q", "-p", "consentry-relay", "--bin", "consentry-relay", "--", ...args], { encoding: "utf8", input });
  const out = relay(["export", "--database", db.replace(/\.db$/, ".relay.db"), flag, value]);
  const lines = out.trim().split("\n").map((l) => JSON.parse(l));
  const head = lines.pop();
  if (lines.length) relay(["verify-export", "--public-key", head.public_key], out);
  return lines.map((l) => l.entry);
}
