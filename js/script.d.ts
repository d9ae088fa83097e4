// Types for the script-tag build, `consentry/script` (dist/consentry.js):
// it defines `window.consentry` and `window.adobe.optIn` and exports
// nothing. `import "consentry/script"` (or a <script> tag) brings in these
// globals; see consentry.d.ts for the API.
import "./consentry";
export {};
