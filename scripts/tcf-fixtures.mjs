// npm run tcf-fixtures: writes tests/fixtures/tcf.json, real TC strings that
// IAB Tech Lab's own library (@iabtechlabtcf/core) encodes from random
// consent models (seeded, so the file is reproducible), each with what the
// same library decodes from it. tests/tcf.rs checks that our decoder returns
// exactly that. Also tests/fixtures/tcf-problems.json: the problem strings
// reported in the IAB libraries' issues.
import { writeFileSync } from "node:fs";
import { GVL, PurposeRestriction, RestrictionType, Segment, TCModel, TCString } from "@iabtechlabtcf/core";

const COUNT = Number(process.env.COUNT || 120);
let seed = Number(process.env.SEED || 20261123);
const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const pick = (n, p) => Array.from({ length: n }, (_, i) => i + 1).filter(() => random() < p);
const named = (n) => Object.fromEntries(Array.from({ length: n }, (_, i) => [i + 1, { id: i + 1, name: `P${i + 1}`, description: "", illustrations: [] }]));

// Sparse and dense id sets, so both the bitfield and the range encodings occur.
const vendorIds = [...new Set([...pick(120, 0.6), 565, 755, 1000, 2500, 4000])].sort((a, b) => a - b);
const vendors = Object.fromEntries(vendorIds.map((id) => [id, {
  id, name: `Vendor ${id}`, purposes: [1, 2, 3, 4], legIntPurposes: [7, 8], flexiblePurposes: [2, 7],
  specialPurposes: [1], features: [1], specialFeatures: [1], cookieMaxAgeSeconds: 86400, usesCookies: true,
  cookieRefresh: false, usesNonCookieAccess: false, deviceStorageDisclosureUrl: "", urls: [],
}]));
const gvl = new GVL({
  gvlSpecificationVersion: 3, vendorListVersion: 120, tcfPolicyVersion: 5, lastUpdated: "2026-01-01T00:00:00Z",
  purposes: named(11), specialPurposes: named(3), features: named(3), specialFeatures: named(2), vendors, stacks: {},
  dataCategories: named(11),
});

const ids = (vector) => {
  const out = [];
  vector.forEach((has, id) => has && out.push(id));
  return out;
};

// What the IAB's library decodes, in the names the tests compare.
const fields = (d) => ({
  version: d.version,
  created: Math.round(d.created.getTime() / 100),
  lastUpdated: Math.round(d.lastUpdated.getTime() / 100),
  cmpId: d.cmpId,
  cmpVersion: d.cmpVersion,
  consentScreen: d.consentScreen,
  consentLanguage: d.consentLanguage,
  vendorListVersion: d.vendorListVersion,
  policyVersion: d.policyVersion,
  isServiceSpecific: d.isServiceSpecific,
  useNonStandardTexts: d.useNonStandardTexts,
  specialFeatureOptins: ids(d.specialFeatureOptins),
  purposeConsents: ids(d.purposeConsents),
  purposeLegitimateInterests: ids(d.purposeLegitimateInterests),
  purposeOneTreatment: d.purposeOneTreatment,
  publisherCountryCode: d.publisherCountryCode,
  vendorConsents: ids(d.vendorConsents),
  vendorLegitimateInterests: ids(d.vendorLegitimateInterests),
  publisherRestrictions: d.publisherRestrictions.getRestrictions().map((r) => ({
    purpose: r.purposeId, restrictionType: r.restrictionType, vendors: d.publisherRestrictions.getVendors(r),
  })).sort((a, b) => a.purpose - b.purpose || a.restrictionType - b.restrictionType),
  vendorsDisclosed: ids(d.vendorsDisclosed),
  publisherConsents: ids(d.publisherConsents),
  publisherLegitimateInterests: ids(d.publisherLegitimateInterests),
  publisherCustomConsents: ids(d.publisherCustomConsents),
  publisherCustomLegitimateInterests: ids(d.publisherCustomLegitimateInterests),
});

const fixtures = [];
for (let i = 0; i < COUNT; i++) {
  const m = new TCModel(gvl);
  m.cmpId = 2 + Math.floor(random() * 4000);
  m.cmpVersion = Math.floor(random() * 4096);
  m.consentScreen = Math.floor(random() * 64);
  m.publisherCountryCode = ["DE", "FR", "KR", "JP", "US", "GB"][i % 6];
  m.isServiceSpecific = random() < 0.7;
  m.purposeOneTreatment = random() < 0.2;
  m.purposeConsents.set(pick(11, 0.5));
  m.purposeLegitimateInterests.set(pick(11, 0.3).filter((p) => p > 1));
  m.specialFeatureOptins.set(pick(2, 0.5));
  const density = [0.02, 0.3, 0.9][i % 3];
  m.vendorConsents.set(vendorIds.filter(() => random() < density));
  m.vendorLegitimateInterests.set(vendorIds.filter(() => random() < density / 2));
  if (random() < 0.5) {
    for (const v of vendorIds.filter(() => random() < 0.1)) {
      m.publisherRestrictions.add(v, new PurposeRestriction(random() < 0.5 ? 2 : 7, RestrictionType.REQUIRE_CONSENT));
    }
  }
  const segments = [Segment.CORE];
  if (random() < 0.5) {
    m.vendorsDisclosed.set(vendorIds.filter(() => random() < 0.5));
    segments.push(Segment.VENDORS_DISCLOSED);
  }
  if (random() < 0.5) {
    m.publisherConsents.set(pick(11, 0.5));
    m.publisherLegitimateInterests.set(pick(11, 0.3));
    m.numCustomPurposes = Math.floor(random() * 5);
    m.publisherCustomConsents.set(pick(m.numCustomPurposes, 0.5));
    m.publisherCustomLegitimateInterests.set(pick(m.numCustomPurposes, 0.5));
    segments.push(Segment.PUBLISHER_TC);
  }
  const tcString = TCString.encode(m, { segments });
  fixtures.push({ tcString, ...fields(TCString.decode(tcString)) });
}
writeFileSync("tests/fixtures/tcf.json", "[\n" + fixtures.map((f) => JSON.stringify(f)).join(",\n") + "\n]\n");
console.log(`wrote ${fixtures.length} TC strings to tests/fixtures/tcf.json`);

// Problem strings from the IAB libraries' own reported issues, each with
// what the IAB's library decodes from it today, or the error it throws.
const PROBLEMS = [
  ["https://github.com/InteractiveAdvertisingBureau/iabtcf-es/issues/210", "valid string with many publisher restrictions that core 1.1.0-5 could not decode",
    "CO4VGswO4VGswAfZCBDEAzCsAP_AAH_AAAigGUNf_X9fb2vj-_599_t0eY1f9_63t-wzjheMs-8NyZ-X_J4Wv2MyvB34JqQKGRgkunLBAQdtHGncTQgBwIlViTLMY02MjzNKJrJEilsbe2dYGH9vn8XT_ZKZ70-_v__7v3___33_5Ayhr_6_r7e18f3_Pvv9ujzGr_v_W9v2GccLxln3huTPy_5PC1-xmV4O_BNSBQyMEl05YICDto407iaEAOBEqsSZZjGmxkeZpRNZIkUtjb2zrAw_t8_i6f7JTPen39___d-___--__ICgKAOAAcAA4AFAAjgB6AEYALcGACAW0AtoJAHAAOAAcACgARwA9ACMAFuFABALaAW0GgDgAHAAOABQAI4AegBGAC3DgAgFtALaEQBwADgAHAAoAEcAPQAjABbiQAQC2gFtCoA4ABwADgAUACOAHoARgAtxYAIBbQC2hkAcAA4ABwAKABHAD0AIwAW40AEAtoBbQ6AOAAcAA4AFAAjgB6AEYALceACAW0AtohAHAAOAAcACgARwA9ACMAFuRABALaAW0SgDgAHAAOABQAI4AegBGAC3JgAgFtALaKQBwADgAHAAoAEcAPQAjABblQAQC2gFtA"],
  ["https://github.com/InteractiveAdvertisingBureau/GDPR-Transparency-and-Consent-Framework/issues/399", "the example string of the TCF v2 specification, with a disclosed-vendors segment",
    "COvFyGBOvFyGBAbAAAENAPCAAOAAAAAAAAAAAEEUACCKAAA.IFoEUQQgAIQwgIwQABAEAAAAOIAACAIAAAAQAIAgEAACEAAAAAgAQBAAAAAAAGBAAgAAAAAAAFAAECAAAgAAQARAEQAAAAAJAAIAAgAAAYQEAAAQmAgBC3ZAYzUw"],
  ["https://github.com/InteractiveAdvertisingBureau/GDPR-Transparency-and-Consent-Framework/issues/399", "re-encoding of the specification example: CMP id 0, allowed-vendors segment",
    "COw12UAOw12UAAAAAAENAXCAAAAAAAAAAAAAAAAAAAAA.QFukWSAgAIQwgIUQEASFAAAAeIAACAIAQAAQAIAgEQACEABAAAgAQFAEAIAAAGBAAgAAAAQAIFAAECQAAAAAQiRAEQAAAAANAAIAAgAAAYQFAAARmggBCWQCYxUgyIAA.IFukWSAgAIQwgIUQEASFAAAAeIAACAIAQAAQAIAgEQACEABAAAgAQFAEAIAAAGBAAgAAAAQAIFAAECQAAAAAQiRAEQAAAAANAAIAAgAAAYQFAAARmggBCWQCYxUgyIAA"],
  ["https://github.com/InteractiveAdvertisingBureau/iabtcf-es/issues/312", "incomplete string: bitfield encoding length mismatch",
    "CPMW7URPMW7URF0ACBPLBrCsAP_AAH_AAB5YINNf_X__b3_n-_79__t0eY1f9_7_v-0zjhfdt-8N2f_X_L8X_2M7vF36pr4KuR4ku3bBIQdtHOncTUmx6olVrzPsbk2Mr7NKJ7Pkmnsbe2dYGH9_n93T_ZKZ7______7________________________-_____9__________________-xbHJs_z-qH_Gse23etPoVRYzr2T-EXK9PdtfRP6SNrgp_V0ce4IeQWc9AxgVAgzRzoySA8UCiJKokJALwVKKEiBWwCixUsLQIEbQLbsS4sAhAlINjxqu0yMCZl6uL77zBqLve2wnvrLEqu9_3XGMu8IKFx_TU8HJQggWBkJCwcxwBICXCgAA"],
  ["https://github.com/InteractiveAdvertisingBureau/iabtcf-es/issues/95", "string with disclosed-vendors and publisher TC segments",
    "COv1p75Ov1p75AcABBENAcCMAP_AAAAAAAAAF0EWSQgAYWwho0QUBzBAIYAfJgSCAMgSAAQIoCkFQICERBAEKiAQHAEQJAAAGBAAkACAAQAoHCBMCQABgAARiRCEQECIDRNABIBAggAKYQFAAARmikHC3ZCY702yOmQAAAAA.IF0EWSQgAYWwho0QUBzBAIYAfJgSCAMgSAAQIoCkFQICERBAEKiAQHAEQJAAAGBAAkACAAQAoHCBMCQABgAARiRCEQECIDRNABIBAggAKYQFAAARmikHC3ZCY702yOmQ.YAAAAAAAAAAAAAAAAAA"],
  ["https://github.com/InteractiveAdvertisingBureau/iabtcf-es/issues/95", "what the CMP API returned for it: empty consents",
    "COv1rJlOv1rJlAcABBENAcCAAAAAAAAAAAAAAAAAAAAA.IF0EWSQgAYWwho0QUBzBAIYAfJgSCAMgSAAQIoCkFQICERBAEKiAQHAEQJAAAGBAAkACAAQAoHCBMCQABgAARiRCEQECIDRNABIBAggAKYQFAAARmikHC3ZCY702yOmQ.YAAAAAAAAAAAAAAAAAA"],
  ["https://github.com/InteractiveAdvertisingBureau/iabtcf-es/issues/429", "version 3 in the first field (Google UMP)",
    "DP1BnkAP1BnkAEsACCENAaEgAAAAAEPgAB6YAAAQaQD2F2K2kKFkPCuQWYoQBCijaEAhQBAAAkCBIAAgAUgQAgFIIAgABFAAEAAAAAAQEgCQAAQABAAAIACgAAAAAAIAAAAAAAQQAAAAAIAAACAAAAEAQAAAAAQAAAAIAABEhCAAQQAMAAAAAAASAAAAAAAAAAABAAAAAAAAAAAAAAQAAAAAgAA.YAAADmAAAAA"],
  ["https://github.com/InteractiveAdvertisingBureau/iabtcf-es/issues/112", "publisher restriction with the vendor range 8-9",
    "COwWHt-OwWHt-DNACOENAXCAANDAAEkAAAAAFpQBQABAAGgAQABIBXgFpAK_ABAK-ACCAAwAIAAk"],
  ["https://github.com/InteractiveAdvertisingBureau/iabtcf-es/issues/113", "publisher restriction with the vendor range 6-9",
    "COutSEYOutSEYDNAFAENATDAAKlAAKlAAAhoAAAAAABggAMAAgAICQAYADAASHAAgAHAAA"],
  ["https://github.com/InteractiveAdvertisingBureau/iabtcf-java/issues/139", "publisher restriction range whose end is below its start",
    "CPJp_W2PJp_W2EyAGADEBjCgAP_AAH_AAAYgHnNf_X__bX9j-_59f_t0eY1P9_r_v-Qzjhfds-8N2L_W_L0X42E7NF36pq4KuR4Eu3LBIQFlHMHUTUmw6okVrTPsak2Mr7NKJ7LEmnMZO2dYGHtfn91TuZKYr_78_9fz3z-v_v__79f3r-3_3_v59X---_e_V399zLv9cC84A4ACgAQAA0ACKAEwALYC8wCQkBAABYAFQAMgAcABEADIAHgARAAngBVAGGAP0BIgXJJmT3MvrwBQAmABcAOqAkQBk4iAIAEwA6oCRAGTioAgATAAuAKbAXmMgBABMAXmOgLAALAAqABkADgAIgAZAA8AB8AEQAJ4AVQAuABfADEAJgAYYA_QCLAJEAZIAycBlxCAUAAsADIAIgAmABVAC4AF8AMQCRAGTkoBgACwAMgAcABEADwAIgAVQAuABfADEAkQBk5SAmAAsACoAGQAOAAiABkADwAIgATwApABVAC-AGIAfoBFgEiAMkAZOAy4.YAAAAAAADwAAAGYAAAAA"],
  ["https://github.com/InteractiveAdvertisingBureau/iabtcf-java/issues/100", "a TCF v1 consent string",
    "BO1Rve6O17Xz9ABABBEN_R-AAAAwzAA"],
  ["https://github.com/InteractiveAdvertisingBureau/iabtcf-java/issues/110", "a short TCF v1 consent string",
    "BO5a1L7O5a1L7AAABBENC2-AAAAtHAA"],
];
const problems = PROBLEMS.map(([source, note, tcString]) => {
  try {
    return { source, note, tcString, ...fields(TCString.decode(tcString)) };
  } catch (e) {
    return { source, note, tcString, error: e.message };
  }
});
writeFileSync("tests/fixtures/tcf-problems.json", "[\n" + problems.map((f) => JSON.stringify(f)).join(",\n") + "\n]\n");
console.log(`wrote ${problems.length} problem strings to tests/fixtures/tcf-problems.json`);
