// npm run tcf-fixtures: writes tests/fixtures/tcf.json, real TC strings that
// IAB Tech Lab's own library (@iabtechlabtcf/core) encodes from random
// consent models (seeded, so the file is reproducible), each with what the
// same library decodes from it. tests/tcf.rs checks that our decoder returns
// exactly that.
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
  const d = TCString.decode(tcString);
  fixtures.push({
    tcString,
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
}
writeFileSync("tests/fixtures/tcf.json", "[\n" + fixtures.map((f) => JSON.stringify(f)).join(",\n") + "\n]\n");
console.log(`wrote ${fixtures.length} TC strings to tests/fixtures/tcf.json`);
