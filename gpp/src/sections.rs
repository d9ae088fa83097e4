//! The US sections' layouts (GPP's `usnat` and state sections, ids 7 to
//! 27): each a list of fields of 2-bit values after a 6-bit version, then
//! an optional second segment. Data, so one encoder and one decoder serve
//! every section; `tests/e2e/gpp.test.mjs` checks each layout against the
//! IAB's library field for field.

/// Field names, by the index the layouts use.
pub const NAMES: [&str; 21] = [
    "Version",
    "SharingNotice",
    "SaleOptOutNotice",
    "SharingOptOutNotice",
    "TargetedAdvertisingOptOutNotice",
    "SensitiveDataProcessingOptOutNotice",
    "SensitiveDataLimitUseNotice",
    "SaleOptOut",
    "SharingOptOut",
    "TargetedAdvertisingOptOut",
    "SensitiveDataProcessing",
    "KnownChildSensitiveDataConsents",
    "PersonalDataConsents",
    "MspaCoveredTransaction",
    "MspaOptOutOptionMode",
    "MspaServiceProviderMode",
    "ProcessingNotice",
    "AdditionalDataProcessingConsent",
    "SensitiveDataOptOutNotice",
    "MspaVersion",
    "MspaMode",
];

/// Field indices into [`NAMES`].
pub mod f {
    #![allow(missing_docs)]
    pub const VERSION: u8 = 0;
    pub const SHARING_NOTICE: u8 = 1;
    pub const SALE_NOTICE: u8 = 2;
    pub const SHARING_OPT_OUT_NOTICE: u8 = 3;
    pub const TA_NOTICE: u8 = 4;
    pub const SENSITIVE_OPT_OUT_NOTICE: u8 = 5;
    pub const SENSITIVE_LIMIT_NOTICE: u8 = 6;
    pub const SALE: u8 = 7;
    pub const SHARING: u8 = 8;
    pub const TA: u8 = 9;
    pub const SENSITIVE: u8 = 10;
    pub const KNOWN_CHILD: u8 = 11;
    pub const PERSONAL_DATA: u8 = 12;
    pub const MSPA_COVERED: u8 = 13;
    pub const MSPA_OPT_OUT_MODE: u8 = 14;
    pub const MSPA_SERVICE_PROVIDER_MODE: u8 = 15;
    pub const PROCESSING_NOTICE: u8 = 16;
    pub const ADDITIONAL_PROCESSING: u8 = 17;
    pub const SENSITIVE_NOTICE: u8 = 18;
    pub const MSPA_VERSION: u8 = 19;
    pub const MSPA_MODE: u8 = 20;
}

use f::*;

/// The segment after the core one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Second {
    /// None.
    None,
    /// The GPC segment: `GpcSegmentType` (2 bits, 1) and `Gpc` (1 bit).
    Gpc,
    /// The sensitive data consents: `SensitiveDataProcessing`, 8 values.
    Sensitive,
}

/// A field of the core segment: its name's index and how many 2-bit values
/// it holds (0: the 6-bit version; 1: one value; more: a list).
pub type Field = (u8, u8);

/// One section's layout.
pub struct Layout {
    /// Its name, as in `__gpp` and the configuration.
    pub name: &'static str,
    /// Its version.
    pub version: u32,
    /// The core segment's fields in order.
    pub fields: &'static [Field],
    /// The segment after it.
    pub second: Second,
}

const MSPA: [Field; 3] = [
    (MSPA_COVERED, 1),
    (MSPA_OPT_OUT_MODE, 1),
    (MSPA_SERVICE_PROVIDER_MODE, 1),
];

macro_rules! fields {
    ($($f:expr),* ; mspa) => {{
        const F: &[Field] = &[$($f),*, MSPA[0], MSPA[1], MSPA[2]];
        F
    }};
    ($($f:expr),*) => {{
        const F: &[Field] = &[$($f),*];
        F
    }};
}

const V: Field = (VERSION, 0);
const fn one(n: u8) -> Field {
    (n, 1)
}
const fn sdp(n: u8) -> Field {
    (SENSITIVE, n)
}
const fn kc(n: u8) -> Field {
    (KNOWN_CHILD, n)
}
const PN: Field = one(PROCESSING_NOTICE);
const SN: Field = one(SHARING_NOTICE);
const SALE_N: Field = one(SALE_NOTICE);
const TA_N: Field = one(TA_NOTICE);
const S: Field = one(SALE);
const T: Field = one(TA);
const ADP: Field = one(ADDITIONAL_PROCESSING);
// The layout of the states since Florida: processing notice, sale and
// targeted advertising with their notices, sensitive data, known child.
const NEWER_8_1: &[Field] = fields!(V, PN, SALE_N, TA_N, S, T, sdp(8), one(KNOWN_CHILD), ADP; mspa);
const NEWER_8_3: &[Field] = fields!(V, PN, SALE_N, TA_N, S, T, sdp(8), kc(3), ADP; mspa);
// Maryland, Indiana, Kentucky, Rhode Island: MSPA first (Maryland has no
// known child field).
const MSPA_FIRST_MD: &[Field] = fields!(
    (MSPA_VERSION, 0),
    one(MSPA_COVERED),
    one(MSPA_MODE),
    PN,
    SALE_N,
    TA_N,
    S,
    T,
    ADP
);
const MSPA_FIRST: &[Field] = fields!(
    (MSPA_VERSION, 0),
    one(MSPA_COVERED),
    one(MSPA_MODE),
    PN,
    SALE_N,
    TA_N,
    S,
    T,
    one(KNOWN_CHILD),
    ADP
);

/// Every section Consentry encodes, by id from
/// [`consentry::consent::FIRST_SECTION_ID`] (7), the order of
/// [`consentry::consent::SECTIONS`].
pub const LAYOUTS: [Layout; 21] = [
    Layout {
        name: "usnat",
        version: 2,
        fields: fields!(
            V, SN, SALE_N, one(SHARING_OPT_OUT_NOTICE), TA_N, one(SENSITIVE_OPT_OUT_NOTICE),
            one(SENSITIVE_LIMIT_NOTICE), S, one(SHARING), T, sdp(16), kc(3), one(PERSONAL_DATA); mspa
        ),
        second: Second::Gpc,
    },
    Layout {
        name: "usca",
        version: 1,
        fields: fields!(
            V, SALE_N, one(SHARING_OPT_OUT_NOTICE), one(SENSITIVE_LIMIT_NOTICE), S, one(SHARING), sdp(9), kc(2),
            one(PERSONAL_DATA); mspa
        ),
        second: Second::Gpc,
    },
    Layout {
        name: "usva",
        version: 1,
        fields: fields!(V, SN, SALE_N, TA_N, S, T, sdp(8), one(KNOWN_CHILD); mspa),
        second: Second::None,
    },
    Layout {
        name: "usco",
        version: 1,
        fields: fields!(V, SN, SALE_N, TA_N, S, T, sdp(7), one(KNOWN_CHILD); mspa),
        second: Second::Gpc,
    },
    Layout {
        name: "usut",
        version: 1,
        fields: fields!(V, SN, SALE_N, TA_N, one(SENSITIVE_OPT_OUT_NOTICE), S, T, sdp(8), one(KNOWN_CHILD); mspa),
        second: Second::None,
    },
    Layout {
        name: "usct",
        version: 1,
        fields: fields!(V, SN, SALE_N, TA_N, S, T, sdp(8), kc(3); mspa),
        second: Second::Gpc,
    },
    Layout {
        name: "usfl",
        version: 1,
        fields: NEWER_8_3,
        second: Second::None,
    },
    Layout {
        name: "usmt",
        version: 1,
        fields: fields!(V, SN, SALE_N, TA_N, S, T, sdp(8), kc(3), ADP; mspa),
        second: Second::Gpc,
    },
    Layout {
        name: "usor",
        version: 1,
        fields: fields!(V, PN, SALE_N, TA_N, S, T, sdp(11), kc(3), ADP; mspa),
        second: Second::Gpc,
    },
    Layout {
        name: "ustx",
        version: 1,
        fields: NEWER_8_1,
        second: Second::Gpc,
    },
    Layout {
        name: "usde",
        version: 1,
        fields: fields!(V, PN, SALE_N, TA_N, S, T, sdp(9), kc(5), ADP; mspa),
        second: Second::Gpc,
    },
    Layout {
        name: "usia",
        version: 1,
        fields: fields!(V, PN, SALE_N, TA_N, one(SENSITIVE_NOTICE), S, T, sdp(8), one(KNOWN_CHILD); mspa),
        second: Second::Gpc,
    },
    Layout {
        name: "usne",
        version: 1,
        fields: NEWER_8_1,
        second: Second::Gpc,
    },
    Layout {
        name: "usnh",
        version: 1,
        fields: NEWER_8_3,
        second: Second::Gpc,
    },
    Layout {
        name: "usnj",
        version: 1,
        fields: fields!(V, PN, SALE_N, TA_N, S, T, sdp(10), kc(5), ADP; mspa),
        second: Second::Gpc,
    },
    Layout {
        name: "ustn",
        version: 1,
        fields: NEWER_8_1,
        second: Second::Gpc,
    },
    Layout {
        name: "usmn",
        version: 1,
        fields: NEWER_8_1,
        second: Second::Gpc,
    },
    Layout {
        name: "usmd",
        version: 1,
        fields: MSPA_FIRST_MD,
        second: Second::Gpc,
    },
    Layout {
        name: "usin",
        version: 1,
        fields: MSPA_FIRST,
        second: Second::Sensitive,
    },
    Layout {
        name: "usky",
        version: 1,
        fields: MSPA_FIRST,
        second: Second::Sensitive,
    },
    Layout {
        name: "usri",
        version: 1,
        fields: MSPA_FIRST,
        second: Second::Sensitive,
    },
];

/// The layout of section `id`.
pub fn layout(id: u32) -> Option<&'static Layout> {
    LAYOUTS.get(id.checked_sub(consentry::consent::FIRST_SECTION_ID)? as usize)
}

/// The names of the sections GPP defines that Consentry passes through
/// without reading (TCF EU, TCF Canada, the US Privacy string).
pub fn other_name(id: u32) -> Option<&'static str> {
    match id {
        2 => Some("tcfeuv2"),
        5 => Some("tcfcav1"),
        6 => Some("uspv1"),
        _ => None,
    }
}
