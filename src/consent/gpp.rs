//! The `gpp` configuration key (IAB Global Privacy Platform). The GPP
//! module (`gpp/`) reads it with this code when it starts: the gate only
//! checks that `gpp` is an object and hands it over (reading it there would
//! cost every page 1.8 KB brotli), so a mistake in it is reported then, and
//! GPP decides nothing. Two ways to use it:
//!
//! ```js
//! // Consentry is the page's GPP CMP: it answers __gpp and encodes the
//! // visitor's choice into these sections.
//! gpp: { cmpId: 0, sections: ["usnat", "usca", "usva"], mspa: "none",
//!        optOuts: { sale: ["aam", "adcloud"], sharing: ["aam"],
//!                   targetedAdvertising: ["target"], sensitive: [] } }
//! // Another CMP provides __gpp: its opt-outs decide these categories.
//! gpp: { timeout: 3000, rules: { aam: ["sale", "sharing"], target: ["targetedAdvertising"] } }
//! ```
//!
//! An opt-out kind is exercised (1) while any category it lists is not
//! approved, not exercised (2) while all are, and not applicable (0) when it
//! lists none; the GPP module turns these into each section's fields.

use super::integrations::{all_approved, category_list};
use super::{bad_value, members, path, Categories};
use crate::json::Value;
use alloc::{string::String, vec::Vec};

/// The sections Consentry encodes and decodes, in section-id order from 7
/// (`usnat`): a name's id is its index plus [`FIRST_SECTION_ID`].
pub const SECTIONS: [&str; 21] = [
    "usnat", "usca", "usva", "usco", "usut", "usct", "usfl", "usmt", "usor", "ustx", "usde", "usia", "usne", "usnh",
    "usnj", "ustn", "usmn", "usmd", "usin", "usky", "usri",
];

/// The section id of `SECTIONS[0]`.
pub const FIRST_SECTION_ID: u32 = 7;

/// The opt-out kinds a category may be mapped to, in the order of
/// [`GppConfig::states`].
pub const OPT_OUTS: [&str; 4] = ["sale", "sharing", "targetedAdvertising", "sensitive"];

/// `mspa` values: not a covered transaction, opt-out option mode, service
/// provider mode.
pub const MSPA: [&str; 3] = ["none", "opt-out", "service-provider"];

/// The `gpp` configuration, validated.
#[derive(Debug, Clone, PartialEq)]
pub enum GppConfig {
    /// Consentry provides `__gpp`.
    Cmp {
        /// The IAB CMP id (0 without one).
        cmp_id: u32,
        /// Section ids, ascending.
        sections: Vec<u32>,
        /// Per opt-out kind ([`OPT_OUTS`]), its categories.
        opt_outs: [Vec<usize>; 4],
        /// Index into [`MSPA`].
        mspa: u32,
    },
    /// Consentry reads another CMP's `__gpp`.
    Reader {
        /// How long to wait for the CMP's signal, in ms.
        timeout: u32,
        /// Per category, the opt-out kinds (a bit each, [`OPT_OUTS`] order)
        /// that must all be declined for it to be approved.
        rules: Vec<(usize, u32)>,
    },
}

const EXPECTED: &str =
    "an object with sections (Consentry as the page's GPP CMP) or rules (reading another CMP's __gpp)";

fn name_list(key: &str, v: &Value, known: &[&str], expected: &str) -> Result<Vec<u32>, String> {
    let bad = || bad_value(key, v, expected);
    let Value::Array(items) = v else { return Err(bad()) };
    let mut out = Vec::new();
    for item in items {
        let i = known
            .iter()
            .position(|k| matches!(item, Value::String(s) if s == k))
            .ok_or_else(bad)?;
        out.push(i as u32);
    }
    Ok(out)
}

impl GppConfig {
    /// Reads the `gpp` config value.
    pub fn parse(cats: &Categories, gpp: &Value) -> Result<GppConfig, String> {
        if !matches!(gpp, Value::Object(_)) {
            return Err(bad_value("gpp", gpp, EXPECTED));
        }
        let known: &[&str] = match (gpp.get("sections"), gpp.get("rules")) {
            (Some(_), None) => &["cmpId", "sections", "optOuts", "mspa"],
            (None, Some(_)) => &["timeout", "rules"],
            _ => return Err(bad_value("gpp", gpp, EXPECTED)),
        };
        for (k, v) in members("gpp", Some(gpp))? {
            if !known.contains(&k.as_str()) {
                return Err(bad_value(
                    &path("gpp", k),
                    v,
                    "no such key beside the others (expected cmpId, sections, optOuts and mspa, or timeout and rules)",
                ));
            }
        }
        let uint = |key: &str, max: u64, expected: &str, default: u32| match gpp.get(key) {
            None => Ok(default),
            Some(v) => v
                .as_uint()
                .filter(|n| *n <= max)
                .map(|n| n as u32)
                .ok_or_else(|| bad_value(&path("gpp", key), v, expected)),
        };
        if let Some(v) = gpp.get("rules") {
            let mut rules = Vec::new();
            for (category, kinds) in members("gpp.rules", Some(v))? {
                let key = path("gpp.rules", category);
                let expected = "a known category's non-empty array of sale, sharing, targetedAdvertising or sensitive";
                let i = cats.index(category).ok_or_else(|| bad_value(&key, kinds, expected))?;
                let list = name_list(&key, kinds, &OPT_OUTS, expected)?;
                if list.is_empty() {
                    return Err(bad_value(&key, kinds, expected));
                }
                rules.push((i, list.iter().fold(0, |m, k| m | 1 << k)));
            }
            return Ok(GppConfig::Reader {
                timeout: uint(
                    "timeout",
                    60_000,
                    "a whole number of ms up to 60000",
                    super::DEFAULT_TIMEOUT,
                )?,
                rules,
            });
        }
        let key = "gpp.sections";
        let v = gpp.get("sections").unwrap_or(&Value::Null);
        let listed = name_list(
            key,
            v,
            &SECTIONS,
            "a non-empty array of section names such as \"usnat\" or \"usca\"",
        )?;
        if listed.is_empty() {
            return Err(bad_value(
                key,
                v,
                "a non-empty array of section names such as \"usnat\" or \"usca\"",
            ));
        }
        // In id order, each once.
        let sections: Vec<u32> = (0..SECTIONS.len() as u32).filter(|i| listed.contains(i)).collect();
        let mut opt_outs: [Vec<usize>; 4] = Default::default();
        for (kind, list) in members("gpp.optOuts", gpp.get("optOuts"))? {
            let key = path("gpp.optOuts", kind);
            let Some(k) = OPT_OUTS.iter().position(|o| o == kind) else {
                return Err(bad_value(
                    &key,
                    list,
                    "no such key (expected sale, sharing, targetedAdvertising or sensitive)",
                ));
            };
            if let Some(slot) = opt_outs.get_mut(k) {
                slot.extend(category_list(cats, &key, list)?);
            }
        }
        let mspa = match gpp.get("mspa") {
            None => 0,
            Some(v) => MSPA
                .iter()
                .position(|m| matches!(v, Value::String(s) if s == m))
                .ok_or_else(|| bad_value("gpp.mspa", v, "\"none\", \"opt-out\" or \"service-provider\""))?
                as u32,
        };
        Ok(GppConfig::Cmp {
            cmp_id: uint(
                "cmpId",
                4095,
                "a whole number from 0 to 4095 (0 without an IAB CMP id)",
                0,
            )?,
            sections: sections.iter().map(|s| s + FIRST_SECTION_ID).collect(),
            opt_outs,
            mspa,
        })
    }

    /// Per opt-out kind under `permissions`: 0 not applicable (no category
    /// mapped), 1 exercised (one of its categories is not approved), 2 not
    /// exercised. `None` for a reader.
    pub fn states(&self, permissions: &[bool]) -> Option<[u32; 4]> {
        let GppConfig::Cmp { opt_outs, .. } = self else {
            return None;
        };
        let mut out = [0; 4];
        for (state, cats) in out.iter_mut().zip(opt_outs) {
            if !cats.is_empty() {
                *state = if all_approved(cats, permissions) { 2 } else { 1 };
            }
        }
        Some(out)
    }
}
