// The demo's Braze Web SDK (not part of the package): @braze/web-sdk from
// npm, bundled by scripts/build.mjs into demo/vendor/braze.js as `window.braze`.
import * as braze from "@braze/web-sdk";

window.braze = braze;
