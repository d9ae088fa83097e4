// The QR code module's shell (dist/consentry-qr.mjs): its wasm's glue, for
// text-to-join (js/join.js) to draw a QR code on computers.
export { initSync, qr_svg } from "../build/consentry-qr.js";
