// Types for Consentry: the `adobe.optIn`-compatible consent gate.
// The same object is `window.consentry`, `window.adobe.optIn` and the
// default export of the ESM build.

/** Adobe's eight category values, plus any the site declares. */
export type AdobeCategory = "aam" | "adcloud" | "aa" | "campaign" | "ecid" | "livefyre" | "target" | "mediaaa";
export type Category = AdobeCategory | (string & {});

/** One category or a list of them (any array-like, also from another frame). */
export type Categories = Category | ArrayLike<Category>;

/** `{category: approved}` for every known category. */
export type Permissions = Record<Category, boolean>;

export type Status = "pending" | "changed" | "complete";

/** A `{category: boolean}` map or its JSON text. Only `true` approves. */
export type PermissionMap = Partial<Record<Category, boolean>> | string;

export interface Config {
  /** false (default): every category is approved and opt-in is off. A function is called once at start; if it throws, opt-in applies. */
  doesOptInApply?: boolean | "true" | "false" | (() => boolean | "true" | "false");
  /** The organisation's defaults before any choice; read by `isPreApproved`. */
  preOptInApprovals?: PermissionMap;
  /** The visitor's earlier choices (e.g. from a CMP); a non-empty value makes the status `complete`. */
  previousPermissions?: PermissionMap | (() => PermissionMap | undefined);
  /** Read the stored choice at start and write it at every commit. Default false. */
  isOptInStorageEnabled?: boolean;
  /** Cookie domain; default: the top-most domain that accepts a cookie. */
  optInCookieDomain?: string;
  /** Seconds (default 34190000, about 13 months), "SESSION" or "NONE" (write nothing). */
  optInStorageExpiry?: number | "SESSION" | "NONE";
  /** With `doesOptInApply`, read IAB TCF consent. */
  isIabContext?: boolean;
  /** Mark the cookie `Secure`. */
  secureCookie?: boolean;
  /** The cookie's SameSite attribute; "None" requires `secureCookie: true`. */
  sameSiteCookie?: "Lax" | "Strict" | "None";
  /** Site-defined categories: 1 to 64 of a-z, 0-9, _ and -. */
  categories?: string[];
  /** Where the choice is stored. Default "cookie" (Adobe's `adobeujs-optin`). */
  storage?: "cookie" | "localStorage";
  /** Bump to ask every visitor again: stored choices of an older revision no longer count. Default 0. */
  revision?: number;
  /** Categories Global Privacy Control denies until the visitor chooses. */
  gpc?: { sale?: string[]; sharing?: string[] };
  /** Cookie names (`prefix*` allowed) deleted while their category is not approved. */
  cookies?: { [category: string]: string[] };
  /** Google Consent Mode v2: each type is granted when all its categories are (`true`: always). Needs the integrations snippet (README, "Google Consent Mode"). */
  consentMode?: {
    [type in ConsentType]?: string[] | true;
  } & {
    /** The main default applies to these regions only. */
    regions?: string[];
    /** One more default per entry: in these regions the listed types start granted (advanced mode outside opt-in regions). */
    regionDefaults?: { region: string[]; granted: ConsentType[] }[];
    /** Google's `wait_for_update`, ms. Default 500. */
    waitForUpdate?: number;
    /** `gtag('set', 'url_passthrough', true)`. */
    urlPassthrough?: boolean;
    /** `gtag('set', 'ads_data_redaction', true)`. */
    adsDataRedaction?: boolean;
    /** Google's developer id of your CMP: `gtag('set', 'developer_id.<id>', true)`. */
    developerId?: string;
  };
  /** Microsoft UET consent mode: `ad_storage` is granted when all its categories are; denied by default (integrations snippet). */
  uet?: { ad_storage: string[] };
  /** IAB GPP: Consentry as the page's GPP CMP (`sections`), or reading another CMP's `__gpp` (`rules`). README, "IAB GPP". */
  gpp?: GppCmpConfig | GppReaderConfig;
  /** IAB TCF: how long to wait for the CMP (ms) and which TCF signals decide which category. */
  tcf?: { timeout?: number; rules?: { [category: string]: TcfRule } };
  /** The relay's URL (README, "Going live with Braze"): a receipt of every committed choice goes to its `/consent/receipts`, exactly once. */
  receipts?: string;
  /** The banner and preference centre, and the region rules (README, "Banner, preference centre and region rules"). With `ui`, the region's policy decides whether opt-in applies: `doesOptInApply` is refused beside it. */
  ui?: UiConfig;
}

/** What a jurisdiction's law asks: nothing but the necessary before a choice (opt-in), everything until the visitor opts out (opt-out), inform only (notice), or nothing (none). */
export type Policy = "opt-in" | "opt-out" | "notice" | "none";

/** The languages the banner has texts for. */
export type UiLanguage = "en" | "de" | "fr" | "es" | "it" | "nl" | "pt" | "pl" | "ko" | "ja";

/** The banner's texts (each overridable per language); `<category>.title` and `<category>.description` name the categories. */
export type UiTextName =
  | "title" | "description" | "acceptAll" | "rejectAll" | "customise" | "save" | "close" | "privacyPolicy"
  | "preferencesTitle" | "preferencesDescription" | "alwaysOn" | "services" | "cookies" | "ok"
  | "optOutTitle" | "optOutDescription" | "doNotSell" | "saved"
  | `${string}.title` | `${string}.description`;

export interface UiConfig {
  /** "bar" (default) along the bottom, "box" in the corner, or "modal". */
  layout?: "bar" | "box" | "modal";
  /** "auto" (default) follows prefers-color-scheme. */
  theme?: "auto" | "light" | "dark";
  /** Default: the page's `lang` when the banner has it, else English. */
  language?: UiLanguage;
  /** The site's privacy policy, linked from the banner. */
  privacyPolicy?: string;
  /** Text overrides per language. */
  texts?: { [language in UiLanguage]?: { [name in UiTextName]?: string } };
  /** The categories the banner asks about, in order. Default: the site's categories, else Adobe's. */
  categories?: string[];
  /** Strictly necessary categories among them: always on, locked. */
  necessary?: string[];
  /** Services listed under each category in the preference centre. */
  services?: { [category: string]: string[] };
  /** Jurisdiction to policy: "*", "EU", "EEA", a country ("US") or a region ("US-CA"); the most specific wins. An unknown region gets the strictest configured policy; without rules, opt-in applies everywhere. */
  regions?: { [jurisdiction: string]: Policy };
  /** The visitor's region when the site knows it (e.g. from the CDN's country header): "DE", "US-CA". */
  region?: string;
  /** Otherwise the relay's `GET /region`, asked once per session (the strictest policy holds until it answers). */
  regionUrl?: string;
  /** After "Reject all", days before the banner may ask again (unless the revision changes). Default 183. */
  rejectQuietDays?: number;
}

/** Google Consent Mode v2's consent types. */
export type ConsentType =
  | "ad_storage" | "analytics_storage" | "ad_user_data" | "ad_personalization"
  | "functionality_storage" | "personalization_storage" | "security_storage";

/** A category is approved by TCF only when all of these have consent. */
export interface TcfRule {
  purposes?: number[];
  vendors?: number[];
  specialFeatures?: number[];
}

/** A decoded TC string, with the IAB libraries' names. */
/** An opt-out kind of the US sections of GPP. */
export type GppOptOut = "sale" | "sharing" | "targetedAdvertising" | "sensitive";

/** Consentry as the page's GPP CMP (the integrations snippet defines `__gpp`). */
export interface GppCmpConfig {
  /** Your IAB CMP id; 0 without one. */
  cmpId?: number;
  /** The sections to encode: "usnat", "usca", "usva", "usco", "usut", "usct", "usfl", "usmt", "usor", "ustx", "usde", "usia", "usne", "usnh", "usnj", "ustn", "usmn", "usmd", "usin", "usky", "usri". */
  sections: string[];
  /** Per opt-out kind, the categories whose denial is that opt-out. */
  optOuts?: { [kind in GppOptOut]?: string[] };
  /** The MSPA mode. Default "none" (not a covered transaction). */
  mspa?: "none" | "opt-out" | "service-provider";
}

/** Consentry reading another CMP's `__gpp`: a category runs only when every applicable US section declines each opt-out it lists. */
export interface GppReaderConfig {
  /** How long to wait for the CMP's ready signal (ms). Default 3000. */
  timeout?: number;
  rules: { [category: string]: GppOptOut[] };
}

/** A decoded GPP string, as `__gpp`'s ping gives it. */
export interface GppString {
  sectionList: number[];
  /** Per section name its fields (`SaleOptOut`: 0 n/a, 1 opted out, 2 did not); TCF and uspv1 sections as their text. */
  parsedSections: { [section: string]: { [field: string]: number | number[] | boolean } | string };
}

export interface TCString {
  version: number;
  /** ms since the epoch */
  created: number;
  lastUpdated: number;
  cmpId: number;
  cmpVersion: number;
  consentScreen: number;
  consentLanguage: string;
  vendorListVersion: number;
  policyVersion: number;
  isServiceSpecific: boolean;
  useNonStandardTexts: boolean;
  specialFeatureOptins: number[];
  purposeConsents: number[];
  purposeLegitimateInterests: number[];
  purposeOneTreatment: boolean;
  publisherCountryCode: string;
  vendorConsents: number[];
  vendorLegitimateInterests: number[];
  publisherRestrictions: { purpose: number; restrictionType: number; vendors: number[] }[];
  vendorsDisclosed: number[];
  vendorsAllowed: number[];
  publisherConsents: number[];
  publisherLegitimateInterests: number[];
  publisherCustomConsents: number[];
  publisherCustomLegitimateInterests: number[];
}

/** Proof-of-consent reference of the visitor's last choice. */
export interface ConsentRecord {
  /** Random id that stays with the visitor's choices. */
  consentId: string;
  /** When the choice was committed, ms since the epoch. */
  time: number;
  /** The configuration revision it was made under. */
  revision: number;
}

export interface Plugin {
  name: string;
  onRegister(optIn: OptIn): void;
  [method: string]: unknown;
}

export interface ExecuteOptions {
  /** "pluginName.method" */
  command: string;
  params?: Record<string, unknown>;
  callback?: (error: unknown, data?: unknown) => void;
}

/** Every phone form's texts (capture, verification, sign-up) a site may override: the number's field, why a typed number or the service refused it, sending, changing the number. `{phone}` is replaced by the number. */
export type PhoneText =
  | "country" | "phone" | "empty" | "invalid_character" | "too_short" | "too_long" | "invalid_start"
  | "country_not_allowed" | "rejected_number" | "sending" | "change";

/** What became of a submission the outbox delivers (the capture and sign-up forms). */
export type DeliveryText = "queued" | "unreachable" | "unavailable";

/** The keys of renderPhoneCapture's `texts`. */
export type PhoneCaptureText =
  | PhoneText | DeliveryText
  | "title" | "consent" | "submit" | "pending" | "success" | "rejected_country" | "retry" | "close" | "consent_required";

/** The keys of renderPhoneVerification's `texts`. */
export type VerificationText =
  | PhoneText
  | "v_title" | "v_login_title" | "send_code" | "code" | "code_sent" | "verify" | "resend" | "resend_in"
  | "verified" | "code_format" | "wrong_code" | "code_expired" | "too_many_checks" | "too_many_codes"
  | "resend_too_soon" | "too_many_requests" | "quota_exhausted" | "already_registered" | "not_registered"
  | "v_unreachable" | "v_unavailable";

export interface PhoneCaptureOptions {
  /** The messaging platform's subscription group. */
  subscriptionGroupId: string;
  /** Your own backend (it holds the API key); the form posts to `{endpoint}/subscription/status/set`. Required unless `delivery` is "brazeBridge". */
  endpoint?: string;
  /** Also offer "Text JOIN to 12345" under the form (see `renderTextToJoin`); the form's programme, disclosure, channel and locale fill in what it does not name. The form loads text-to-join's module for it. */
  textToJoin?: Partial<TextToJoinOptions> & { number: string; keyword: string };
  /** "endpoint" (default) posts to `endpoint`; "brazeBridge", inside a Braze HTML in-app message, subscribes through the Braze Web SDK's bridge and closes the message. */
  delivery?: "endpoint" | "brazeBridge";
  /** The programme's name, e.g. "Acme Alerts". */
  programme: string;
  /** The disclosure shown next to the checkbox: programme, frequency, "Msg & data rates may apply", HELP/STOP. */
  disclosure: string;
  channel?: "sms" | "whatsapp";
  /** ISO codes offered in the country picker (default: every supported country). */
  countries?: string[];
  defaultCountry?: string;
  externalId?: string;
  /** With `externalId`: your backend's signature of it (an HS256 JWT with `sub` and `exp`), which the relay needs to take the id. */
  externalIdToken?: string;
  /** `use_double_opt_in_logic`; default true. */
  doubleOptIn?: boolean;
  /** "en", "ko" or "ja" (a region is allowed: "ko-KR"). */
  locale?: string;
  texts?: Partial<Record<PhoneCaptureText, string>>;
  /** Recorded with the consent; default "consentry-phone". */
  formId?: string;
  /** "inline" (default) renders into the target; "modal" opens an in-app dialog (loading `consentry-form-modal.mjs` and `.css` beside the module). */
  mode?: "inline" | "modal";
  /** Load the default look, `consentry-form-capture.css` beside the module, and for a modal `consentry-form-modal.css` (a site's own link to `consentry-form.css`, which has both, is used instead; default true); false: style it yourself. */
  stylesheet?: boolean;
  onSubmit?(event: { phone: string; subscriptionGroupId: string }): void;
  onPending?(event: { phone: string }): void;
  onSuccess?(event: { phone: string }): void;
  onError?(event: { phone: string; status: number; response: unknown }): void;
  onClose?(): void;
}

export interface PhoneVerificationOptions {
  /** The verification service (the sandbox, or your backend in front of it): the form posts to `{endpoint}/verify/start` and `/verify/check`; "/" is this site. */
  endpoint: string;
  /** "signup" (default): a new member; "login": a member signing in again, which needs a new code. */
  purpose?: "signup" | "login";
  /** ISO codes offered in the country picker (default: every supported country). */
  countries?: string[];
  defaultCountry?: string;
  /** "en", "ko" or "ja" (a region is allowed: "ko-KR"); also the language of the text with the code. */
  locale?: string;
  texts?: Partial<Record<VerificationText, string>>;
  /** Default "consentry-verify". */
  formId?: string;
  /** Load the default look (default true). */
  stylesheet?: boolean;
  onCodeSent?(event: { phone: string; purpose: "signup" | "login" }): void;
  /** `token`: a JWT (EdDSA) your backend verifies with the service's key from `/verify/jwks.json` before it trusts the number. */
  onVerified?(event: { phone: string; purpose: "signup" | "login"; token: string }): void;
  /** `error`: the service's error code (`wrong_code`, `code_expired`, `too_many_checks`, `too_many_codes`, `resend_too_soon`, `cannot_receive_texts` as `rejected_number`, `quota_exhausted`, ...), or "unavailable". */
  onError?(event: { phone: string; status: number; error: string; response: unknown }): void;
}

export interface TextToJoinOptions {
  /** A short code such as "12345", or an E.164 long code; for WhatsApp, the business number in E.164. */
  number: string;
  /** The opt-in keyword to text, such as "JOIN" (the programme's opt-in keyword, so it starts the double opt-in). */
  keyword: string;
  channel?: "sms" | "whatsapp";
  /** The programme's (for WhatsApp: the business's) name, shown above. */
  programme: string;
  /** Shown beside the link and the QR code, as the law asks of any opt-in. */
  disclosure: string;
  locale?: string;
  texts?: Partial<Record<"join_title" | "join_scan" | "wa_title" | "wa_button" | "wa_scan", string>>;
  /** Default "consentry-join". */
  formId?: string;
  stylesheet?: boolean;
}

export interface SignupOptions {
  /** Your backend, such as the relay; the form posts Braze's `/users/track` to `{endpoint}/users/track`. */
  endpoint: string;
  /** The email box: its subscription group (an email group) and disclosure. */
  email: { subscriptionGroupId: string; disclosure: string };
  /** The SMS box: its subscription group and disclosure; `doubleOptIn` (default true) sends `use_double_opt_in_logic`. */
  sms: { subscriptionGroupId: string; disclosure: string; doubleOptIn?: boolean };
  externalId?: string;
  /** With `externalId`: your backend's signature of it (an HS256 JWT with `sub` and `exp`), which the relay needs to take the id. */
  externalIdToken?: string;
  countries?: string[];
  defaultCountry?: string;
  locale?: string;
  texts?: Partial<Record<PhoneText | DeliveryText | "signup_title" | "email" | "email_box" | "sms_box" | "signup_submit" | "signup_success" | "signup_pending" | "email_invalid" | "email_required" | "need_contact", string>>;
  /** Default "consentry-signup". */
  formId?: string;
  stylesheet?: boolean;
  onSubmit?(event: { email: string; phone: string; email_box: boolean; sms_box: boolean }): void;
  onPending?(event: { email: string; phone: string }): void;
  onSuccess?(event: { email: string; phone: string }): void;
  onError?(event: { status: number; response: unknown }): void;
}

export interface PhoneCapture {
  /** Removes the form; a submission already made is still delivered. */
  destroy(): void;
}

export interface OptIn {
  /** Approve at once, or stage the change until `complete()` with `shouldWaitForComplete`. Throws on unknown categories. */
  approve(categories: Categories, shouldWaitForComplete?: boolean): OptIn;
  deny(categories: Categories, shouldWaitForComplete?: boolean): OptIn;
  approveAll(shouldWaitForComplete?: boolean): OptIn;
  denyAll(shouldWaitForComplete?: boolean): OptIn;
  /** Commits staged changes when the status is `changed`; otherwise does nothing. */
  complete(): OptIn;
  /** True when every listed category is approved; no argument or []: every category. Unknown: false. Before Consentry has loaded: the inline snippet's answer at parse time for one category (see `permissions`), else false. */
  isApproved(categories?: Categories): boolean;
  /** The same check against `preOptInApprovals`. Never throws: a wrong argument answers false, reported once on the console (as does isApproved's). */
  isPreApproved(categories?: Categories): boolean;
  /** Answers at once when there is an answer, else at the next commit; with auto-subscribe also at every later commit. Returns a function that removes the subscription (for a one-shot it does nothing, as Adobe's). Never throws: a wrong argument is reported once on the console and subscribes nothing. */
  fetchPermissions(callback: (permissions: Permissions) => void, shouldAutoSubscribe?: boolean): () => void;
  on(event: "complete", callback: (this: any, permissions: Permissions) => void, context?: unknown): OptIn;
  /** Removes every subscription of `callback`. Never throws: a wrong argument removes nothing, reported once on the console. */
  off(event: "complete", callback: (permissions: Permissions) => void): OptIn;
  registerPlugin(plugin: Plugin): OptIn;
  execute(options: ExecuteOptions): unknown;
  /** Keeps JSON values beside the permissions in the stored record. */
  memoizeContent(content: Record<string, unknown>): OptIn;
  /** The value kept under `key`, or undefined (also for a wrong argument, reported once on the console). */
  getMemoizedContent(key: string): unknown;
  /** Every category's permission. Before Consentry has loaded: the inline snippet's answer at parse time, the same the gate gives at start (the defaults, or the choice stored on an earlier visit), or `{}` when the snippet cannot be certain (see the README). */
  readonly permissions: Permissions;
  /** Before Consentry has loaded: the snippet's answer at parse time, else "pending". */
  readonly status: Status;
  readonly isPending: boolean;
  readonly isComplete: boolean;
  readonly doesOptInApply: boolean;
  readonly isIabContext: boolean;
  /** Adobe's `OptInCategories` plus site categories under their upper-cased names. */
  readonly Categories: Record<string, Category>;
  readonly consentRecord: ConsentRecord | null;
  /** Renders the phone-capture form (loading its module on first use; before Consentry has loaded, the call waits for it). The options are read once, at the call. Rejects with an Error naming a bad option. */
  renderPhoneCapture(target: Element, options: PhoneCaptureOptions): Promise<PhoneCapture>;
  /** Renders the phone verification form: number, "Send code", the code, verified (the form module, loaded on first use). Exists once Consentry has loaded (`consentry:ready`). Rejects with an Error naming a bad option. */
  renderPhoneVerification?(target: Element, options: PhoneVerificationOptions): Promise<PhoneCapture>;
  /** Renders "Text JOIN to 12345": on phones a link that opens the messages app (or WhatsApp) with the keyword filled in, on computers its QR code, with the disclosure beside it. Exists once Consentry has loaded (`consentry:ready`). */
  renderTextToJoin?(target: Element, options: TextToJoinOptions): Promise<PhoneCapture>;
  /** Renders a sign-up form: email and phone, two unticked boxes (promotional email, texts) each with its disclosure, sent as `/users/track` through the outbox. Exists once Consentry has loaded (`consentry:ready`). */
  renderSignup?(target: Element, options: SignupOptions): Promise<PhoneCapture>;
  /** Decodes a TC string (loads the decoder module, consentry-tcstring, on first use). Rejects when it is not one. */
  decodeTCString(tcString: string): Promise<TCString>;
  /** Decodes a GPP string (loads the GPP module on first use). Rejects when it is not one. */
  decodeGPPString(gppString: string): Promise<GppString>;
  /** Opens the preference centre (with `ui`); any element with `data-consentry-preferences` does the same on a click. Rejects without `ui`. */
  showPreferences(): Promise<void>;
}

/** Detail of the `consentry:complete` event fired on `window` at every commit. */
export interface CompleteEventDetail {
  permissions: Permissions;
  /** Only the categories whose permission changed. */
  changes: Partial<Permissions>;
}

declare const consentry: OptIn;
export default consentry;

/**
 * Loads the wasm and starts Consentry. Rejects with an Error naming the bad config key, and outside a browser (server rendering).
 * `wasm` defaults to `consentry_bg.wasm` beside the module, or `consentry-full_bg.wasm` for a configuration with
 * `ui`, `cookies`, `consentMode`, `uet`, `tcf` or `gpp`; pass the same build when you pass your own URL.
 */
export function init(config?: Config, wasm?: string | URL | Response | Promise<Response>): Promise<OptIn>;

declare global {
  interface Window {
    consentry: OptIn;
    consentryConfig?: Config;
    adobe: { optIn: OptIn; OptInCategories: Record<string, Category> } & Record<string, unknown>;
  }
  interface WindowEventMap {
    "consentry:complete": CustomEvent<CompleteEventDetail>;
    /** Consentry has loaded: the queued calls have run and `renderPhoneCapture` exists. */
    "consentry:ready": CustomEvent<undefined>;
    /** With `ui`: the banner or the preference centre appeared ("visible") or went ("hidden"). */
    "consentry:display": CustomEvent<"visible" | "hidden">;
  }
}
