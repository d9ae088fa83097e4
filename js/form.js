// The form module's entry (bundled with its wasm's glue into
// dist/consentry-form.mjs): the four forms, each in its own file over the
// shared kit (form-kit.js), and the outbox's flush, which the facade calls
// when a page loads with an undelivered submission.
// @ts-check
export { initSync } from "../build/consentry-form.js";
export { renderPhoneCapture } from "./capture.js";
export { renderPhoneVerification } from "./verification.js";
export { renderTextToJoin } from "./join.js";
export { renderSignup } from "./signup.js";
export { flush } from "./form-kit.js";
