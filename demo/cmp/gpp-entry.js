// Bundled by `npm run build` into demo/vendor/iab-gpp.js: the IAB's own GPP
// CMP API and string library (@iabgpp/cmpapi), for the demo's "another CMP"
// page and the e2e tests of Consentry reading GPP.
import { CmpApi, GppModel } from "@iabgpp/cmpapi";

window.iabgpp = { CmpApi, GppModel };
