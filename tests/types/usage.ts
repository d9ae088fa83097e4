// Compiled with `tsc --noEmit --strict` by the packaging test: the README's
// examples, typed against js/consentry.d.ts.
import consentry, { init, type Config, type Permissions, type CompleteEventDetail } from "../../js/consentry";

async function main(): Promise<void> {
  const optIn = await init({
    doesOptInApply: true,
    isOptInStorageEnabled: true,
    preOptInApprovals: { ecid: true },
    categories: ["sms", "whatsapp"],
    optInStorageExpiry: "SESSION",
    sameSiteCookie: "Lax",
    revision: 2,
  });
  optIn.approve(["aa", optIn.Categories.ECID], true).deny("target", true).complete();
  const approved: boolean = consentry.isApproved(["aa", "sms"]) && consentry.isPreApproved("ecid");
  const unsubscribe: () => void = consentry.fetchPermissions((p: Permissions) => console.log(p.aa), true);
  unsubscribe();
  consentry.on("complete", function (p) { console.log(p.sms); }, { tag: "x" }).off("complete", console.log);
  consentry.registerPlugin({ name: "p", onRegister(api) { api.approveAll(); } });
  consentry.execute({ command: "p.run", params: { a: 1 }, callback: (err, data) => console.log(err, data) });
  consentry.memoizeContent({ iabConsentHash: "abc" });
  const status: "pending" | "changed" | "complete" = consentry.status;
  const id: string | undefined = consentry.consentRecord?.consentId;
  const tc = await consentry.decodeTCString("CQuIxQAQuIxQAAKADCENB4FoAMBAAEIAAAYgFeQA4AAgAGAjUBXgEawAQEagAAAA");
  const adobe: boolean = tc.vendorConsents.includes(565);
  const form = await consentry.renderPhoneCapture(document.body, {
    subscriptionGroupId: "acme-sms",
    endpoint: "/api",
    programme: "Acme Alerts",
    disclosure: "Acme Alerts: up to 4 msgs/month. Msg & data rates may apply. Reply HELP for help, STOP to cancel.",
    countries: ["US", "KR"],
    locale: "ko-KR",
    mode: "modal",
    stylesheet: false,
    texts: { submit: "가입", change: "번호 변경", unavailable: "지금은 신청할 수 없습니다." },
    onPending: (e) => console.log(e.phone),
    onError: (e) => console.log(e.status, e.response),
  });
  form.destroy();
  // In a Braze HTML in-app message.
  await consentry.renderPhoneCapture(document.body, {
    subscriptionGroupId: "acme-sms",
    delivery: "brazeBridge",
    programme: "Acme Alerts",
    disclosure: "Acme Alerts: up to 4 msgs/month. Msg & data rates may apply. Reply HELP for help, STOP to cancel.",
  });
  const verification = await consentry.renderPhoneVerification?.(document.body, {
    endpoint: "https://verify.example.com",
    purpose: "login",
    locale: "ja",
    onVerified: (e) => fetch("/session", { method: "POST", body: e.token }),
    onError: (e) => console.log(e.error, e.status),
  });
  verification?.destroy();
  await consentry.renderSignup?.(document.body, {
    endpoint: "/api",
    email: { subscriptionGroupId: "news", disclosure: "Acme News by email, twice a month." },
    sms: { subscriptionGroupId: "acme-sms", disclosure: "Acme Alerts: up to 4 msgs/month. Msg & data rates may apply. Reply HELP for help, STOP to cancel." },
    onPending: (e) => console.log(e.phone),
  });
  // The README's banner configurations: an EU site, a US site.
  const eu: Config = {
    categories: ["necessary", "analytics", "marketing"],
    isOptInStorageEnabled: true,
    cookies: { analytics: ["_ga*"], marketing: ["_fbp"] },
    ui: {
      layout: "bar",
      privacyPolicy: "/privacy",
      necessary: ["necessary"],
      services: { analytics: ["Google Analytics"], marketing: ["Meta Pixel"] },
      regions: { EEA: "opt-in", GB: "opt-in", CH: "opt-in", "*": "notice" },
      texts: { de: { acceptAll: "Alles klar, alle akzeptieren" } },
    },
  };
  const us: Config = {
    categories: ["necessary", "analytics", "advertising"],
    isOptInStorageEnabled: true,
    gpc: { sale: ["advertising"], sharing: ["advertising"] },
    ui: {
      necessary: ["necessary"],
      regions: { "US-CA": "opt-out", "US-CO": "opt-out", "US-CT": "opt-out", "US-VA": "opt-out", US: "notice", EEA: "opt-in" },
      regionUrl: "https://relay.shop.example/region",
    },
  };
  // The README's integrations: advanced Consent Mode with UET, GPP as CMP and as reader.
  const advanced: Config = {
    doesOptInApply: true,
    consentMode: {
      ad_storage: ["aam"], analytics_storage: ["aa"], security_storage: true,
      regionDefaults: [{ region: ["US", "CA", "AU"], granted: ["analytics_storage"] }],
      waitForUpdate: 500, urlPassthrough: true, adsDataRedaction: true, developerId: "dNzMyY2",
    },
    uet: { ad_storage: ["aam"] },
  };
  const gppCmp: Config = {
    categories: ["ads"],
    gpp: { cmpId: 0, mspa: "opt-out", sections: ["usnat", "usca"], optOuts: { sale: ["aam", "ads"], sharing: ["target"] } },
  };
  const gppReader: Config = { doesOptInApply: true, gpp: { timeout: 3000, rules: { aam: ["sale", "sharing"] } } };
  window.addEventListener("consentry:display", (e) => document.body.classList.toggle("asking", e.detail == "visible"));
  const decoded = await consentry.decodeGPPString("DBABLA~BVVVVVVVVWA.YA");
  const sections: number[] = decoded.sectionList;
  await consentry.showPreferences();
  console.log(eu, us, advanced, gppCmp, gppReader, sections);
  window.addEventListener("consentry:complete", (e) => {
    const detail: CompleteEventDetail = e.detail;
    console.log(detail.changes.aa, approved, status, id, window.adobe.optIn === consentry);
  });
}
void main();
