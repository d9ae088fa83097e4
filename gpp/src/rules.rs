//! What the visitor's choice says in each section (Consentry as the CMP),
//! which sections apply where, and what another CMP's opt-outs mean for
//! the page's categories (Consentry as a reader).
//!
//! The gate gives each opt-out kind's state (see
//! `consentry::consent::GppConfig::states`): 0 not applicable, 1 exercised,
//! 2 not exercised. Every section says it with its own fields:
//!
//! | field | value |
//! |---|---|
//! | `SaleOptOut`, `SharingOptOut`, `TargetedAdvertisingOptOut` | the kind's state |
//! | `SensitiveDataProcessing` (each) | `sensitive`'s state (1 also reads "no consent") |
//! | their notices (`SaleOptOutNotice`, ...) | 1 (given) when the kind is mapped, else 0 |
//! | `SharingNotice`, `ProcessingNotice` | 1 when any kind is mapped |
//! | `MspaCoveredTransaction` | 1 with `mspa` "opt-out" or "service-provider", else 2 |
//! | `MspaOptOutOptionMode`, `MspaServiceProviderMode`, `MspaMode` | from `mspa` |
//! | `Gpc` | Global Privacy Control |
//! | known child, personal data and additional processing consents | 0 |

use crate::codec::{self, Error, Values};
use crate::sections::{f, layout, Layout, Second};
use alloc::{string::String, vec::Vec};

/// Opt-out kinds, as `GppConfig`'s order: sale, sharing, targeted
/// advertising, sensitive data.
const SALE: usize = 0;
const SHARING: usize = 1;
const TA: usize = 2;
const SENSITIVE: usize = 3;

/// One section's values for the choice: `states` per opt-out kind, `mspa`
/// (0 none, 1 opt-out option mode, 2 service provider mode), `gpc`.
pub fn values(l: &Layout, states: [u32; 4], mspa: u32, gpc: bool) -> Values {
    let state = |k: usize| states.get(k).copied().unwrap_or(0);
    let notice = |k: usize| u32::from(state(k) != 0);
    let any = u32::from(states.iter().any(|s| *s != 0));
    let mut fields = Vec::new();
    for (name, n) in l.fields {
        let v = match *name {
            f::VERSION | f::MSPA_VERSION => l.version,
            f::SHARING_NOTICE | f::PROCESSING_NOTICE => any,
            f::SALE_NOTICE => notice(SALE),
            f::SALE => state(SALE),
            f::SHARING_OPT_OUT_NOTICE => notice(SHARING),
            f::SHARING => state(SHARING),
            f::TA_NOTICE => notice(TA),
            f::TA => state(TA),
            f::SENSITIVE_OPT_OUT_NOTICE | f::SENSITIVE_LIMIT_NOTICE | f::SENSITIVE_NOTICE => notice(SENSITIVE),
            f::SENSITIVE => state(SENSITIVE),
            f::MSPA_COVERED => {
                if mspa == 0 {
                    2
                } else {
                    1
                }
            }
            f::MSPA_OPT_OUT_MODE => [0, 1, 2].get(mspa as usize).copied().unwrap_or(0),
            f::MSPA_SERVICE_PROVIDER_MODE => [0, 2, 1].get(mspa as usize).copied().unwrap_or(0),
            f::MSPA_MODE => mspa,
            _ => 0,
        };
        fields.push(alloc::vec![v; usize::from((*n).max(1))]);
    }
    let second = match l.second {
        Second::None => Vec::new(),
        Second::Gpc => alloc::vec![1, u32::from(gpc)],
        Second::Sensitive => alloc::vec![state(SENSITIVE); 8],
    };
    Values { fields, second }
}

/// The GPP string of the choice for `sections` (ascending ids).
pub fn encode(sections: &[u32], states: [u32; 4], mspa: u32, gpc: bool) -> String {
    let mut texts = Vec::new();
    for id in sections {
        if let Some(l) = layout(*id) {
            texts.push((*id, codec::encode_section(l, &values(l, states, mspa, gpc))));
        }
    }
    codec::encode(&texts)
}

/// The sections that apply in `region` (an ISO 3166 code such as "US-CA",
/// or `None` when unknown): the state's section when it is enabled, else
/// `usnat`; outside the US none (`[-1]`). Unknown: `usnat` when enabled,
/// else every enabled section.
pub fn applicable(sections: &[u32], region: Option<&str>) -> Vec<i64> {
    let usnat = consentry::consent::FIRST_SECTION_ID;
    let has = |id: u32| sections.contains(&id);
    let Some(region) = region else {
        return if has(usnat) {
            alloc::vec![usnat.into()]
        } else {
            sections.iter().map(|s| i64::from(*s)).collect()
        };
    };
    let mut parts = consentry::split(region, b'-');
    let (country, state) = (parts.next().unwrap_or(""), parts.next());
    if country != "US" {
        return alloc::vec![-1];
    }
    let mut name = String::from("us");
    for b in state.unwrap_or("").bytes() {
        name.push(char::from(b.to_ascii_lowercase()));
    }
    for id in sections {
        if layout(*id).is_some_and(|l| l.name == name) {
            return alloc::vec![(*id).into()];
        }
    }
    if has(usnat) {
        alloc::vec![usnat.into()]
    } else {
        alloc::vec![-1]
    }
}

/// Whether the section `v` (of layout `l`) lets a category that needs the
/// opt-out kinds `kinds` (a bit each) run: every field of each kind says
/// "did not opt out" (2), and for sale, sharing and targeted advertising
/// GPC is not set. A field the section does not have asks nothing.
fn allows(l: &Layout, v: &Values, kinds: u32) -> bool {
    let wanted = |field: u8| match field {
        f::SALE => kinds & 1 << SALE != 0,
        f::SHARING => kinds & 1 << SHARING != 0,
        f::TA => kinds & 1 << TA != 0,
        f::SENSITIVE => kinds & 1 << SENSITIVE != 0,
        _ => false,
    };
    for ((name, _), values) in l.fields.iter().zip(&v.fields) {
        if wanted(*name) && values.iter().any(|n| *n != 2) {
            return false;
        }
    }
    match l.second {
        Second::Gpc => !(v.second.get(1) == Some(&1) && kinds & 0b111 != 0),
        Second::Sensitive => !(kinds & 1 << SENSITIVE != 0 && v.second.iter().any(|n| *n != 2)),
        Second::None => true,
    }
}

/// What another CMP's GPP string means for the ruled categories: each
/// approved only when every applicable section allows it. `None` when no
/// US section applies (GPP then restricts nothing and changes nothing).
/// An applicable section missing from the string, or one that cannot be
/// read, denies every ruled category.
pub fn choices(rules: &[(usize, u32)], gpp: &str, applicable: &[i64]) -> Result<Option<Vec<(usize, bool)>>, Error> {
    let ids: Vec<u32> = applicable
        .iter()
        .filter_map(|a| u32::try_from(*a).ok())
        .filter(|id| layout(*id).is_some())
        .collect();
    if ids.is_empty() {
        return Ok(None);
    }
    let decoded = codec::decode(gpp)?;
    let mut out = Vec::new();
    for (category, kinds) in rules {
        let mut ok = true;
        for id in &ids {
            let section = decoded.sections.iter().find(|(s, _)| s == id);
            ok &= match (layout(*id), section) {
                (Some(l), Some((_, Ok(v)))) => allows(l, v, *kinds),
                _ => false,
            };
        }
        out.push((*category, ok));
    }
    Ok(Some(out))
}
