// For tsc's check of the shell (tests/e2e/package.test.mjs): what the
// build defines (window.consentry and window.adobe are js/consentry.d.ts's).
/** Consent Mode's and UET's defaults in the stub: true in the full script, the ESM build and the integrations snippet (scripts/build.mjs). */
declare const GCM: boolean;
/** The `__gpp` stub: true in the full script, the ESM build and the integrations snippet. */
declare const GPP: boolean;
/** The full build's shell (the banner, Consent Mode, UET, GPP, cookie cleanup): false in the plain script, consentry.js. */
declare const FULL: boolean;
/** true in the base inline snippet: the early answer (scripts/build.mjs). */
declare const EARLY: boolean;

/** The bundle makes the stub: true in the snippets, the ESM build and consentry.js (the script for a page without the snippet); the snippet's scripts only send the integrations' defaults with it. */
declare const STUB: boolean;
/** The inline snippets, which start the downloads (scripts/build.mjs). */
declare const SNIPPET: boolean;
/** The ESM build (consentry.mjs), whose one shell runs either gate. */
declare const ESM: boolean;
