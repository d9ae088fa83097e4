// Bundled by `npm run build` into demo/vendor/iab-cmp.js: the IAB's own stub
// (the __tcfapi queue and the __tcfapiLocator frame), CMP API and TC string
// library, so the demo's CMP serves real TC strings. The e2e tests use the
// same bundle.
import stub from "@iabtechlabtcf/stub";
import { CmpApi } from "@iabtechlabtcf/cmpapi";
import { GVL, TCModel, TCString } from "@iabtechlabtcf/core";

stub();
window.iab = { CmpApi, GVL, TCModel, TCString };
