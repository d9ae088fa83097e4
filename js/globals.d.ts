// For tsc's check of the shell (tests/e2e/package.test.mjs): what the
// build defines and what the stub puts on window.
/** true in the bundles and the Consent Mode snippet (scripts/build.mjs). */
declare const GCM: boolean;
interface Window {
  adobe: any;
}
