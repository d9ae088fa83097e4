// For tsc's check of the shell (tests/e2e/package.test.mjs): what the
// build defines (window.consentry and window.adobe are js/consentry.d.ts's).
/** true in the bundles and the Consent Mode snippet (scripts/build.mjs). */
declare const GCM: boolean;
/** true in the base inline snippet: the early answer (scripts/build.mjs). */
declare const EARLY: boolean;

