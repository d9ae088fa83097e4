// Compiled by the packaging test: `consentry/script` types the globals it defines.
import "../../js/script";

window.consentryConfig = { doesOptInApply: true };
const approved: boolean = window.consentry.isApproved("aa");
window.adobe.optIn.approve(window.adobe.OptInCategories.ECID as string);
export { approved };
