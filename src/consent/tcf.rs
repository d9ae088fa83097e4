//! The `tcf` configuration key, validated at `init` with the rest of the
//! configuration (the TCF module applies the rules to a decoded TC string):
//!
//! ```js
//! tcf: { timeout: 3000, rules: { aam: { vendors: [565], purposes: [1, 10] },
//!                                aa: { purposes: [1, 8, 9, 10], specialFeatures: [] } } }
//! ```
//!
//! Without `rules`, Adobe's reading: `aam` and `ecid` need vendor 565 with
//! purposes 1 and 10. Other categories are not TCF's business.

use super::{bad_value, members, path, Categories};
use crate::json::Value;
use alloc::{string::String, vec, vec::Vec};

/// Adobe's vendor id in the Global Vendor List.
pub const ADOBE_VENDOR: u64 = 565;

/// How long to wait for a CMP's TC data by default, in ms.
pub const DEFAULT_TIMEOUT: u32 = 3000;

/// A category's rule: approved only when every listed purpose has consent,
/// every listed vendor has consent and every listed special feature is
/// opted in.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// The category it decides.
    pub category: usize,
    /// Purposes that need consent.
    pub purposes: Vec<u64>,
    /// Vendors that need consent.
    pub vendors: Vec<u64>,
    /// Special features that need an opt-in.
    pub special_features: Vec<u64>,
}

/// The `tcf` configuration, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct TcfConfig {
    /// How long to wait for TC data, in ms.
    pub timeout: u32,
    /// The rules, Adobe's when none are configured.
    pub rules: Vec<Rule>,
}

/// An array of whole numbers from 1 to 65535.
fn id_list(key: &str, v: &Value) -> Result<Vec<u64>, String> {
    let bad = || bad_value(key, v, "an array of ids from 1 to 65535");
    let Value::Array(items) = v else { return Err(bad()) };
    let mut out = Vec::new();
    for item in items {
        out.push(item.as_uint().filter(|n| (1..=65535).contains(n)).ok_or_else(bad)?);
    }
    Ok(out)
}

impl TcfConfig {
    /// Reads the `tcf` config value (`null` or absent: the defaults).
    pub fn parse(cats: &Categories, tcf: &Value) -> Result<TcfConfig, String> {
        let mut out = TcfConfig::default();
        if !matches!(tcf, Value::Object(_) | Value::Null) {
            return Err(bad_value("tcf", tcf, "an object such as {timeout: 3000, rules: {...}}"));
        }
        if let Some(t) = tcf.get("timeout") {
            out.timeout = t
                .as_uint()
                .and_then(|n| u32::try_from(n).ok())
                .filter(|n| *n <= 60_000)
                .ok_or_else(|| bad_value("tcf.timeout", t, "a whole number of ms up to 60000"))?;
        }
        let Some(rules) = tcf.get("rules") else {
            return Ok(out);
        };
        out.rules.clear();
        for (category, rule) in members("tcf.rules", Some(rules))? {
            let key = path("tcf.rules", category);
            let category = cats
                .index(category)
                .filter(|_| matches!(rule, Value::Object(_)))
                .ok_or_else(|| {
                    bad_value(
                        &key,
                        rule,
                        "a known category's {purposes: [...], vendors: [...], specialFeatures: [...]}",
                    )
                })?;
            let list = |name: &str| match rule.get(name) {
                None | Some(Value::Null) => Ok(Vec::new()),
                Some(v) => id_list(&path(&key, name), v),
            };
            out.rules.push(Rule {
                category,
                purposes: list("purposes")?,
                vendors: list("vendors")?,
                special_features: list("specialFeatures")?,
            });
        }
        Ok(out)
    }
}

impl Default for TcfConfig {
    /// Adobe's reading, within 3 s: `aam` (category 0) and `ecid` (4), Adobe's
    /// own positions in every configuration, need vendor 565 with purposes 1
    /// and 10.
    fn default() -> Self {
        let rule = |category| Rule {
            category,
            purposes: vec![1, 10],
            vendors: vec![ADOBE_VENDOR],
            special_features: Vec::new(),
        };
        TcfConfig {
            timeout: DEFAULT_TIMEOUT,
            rules: vec![rule(0), rule(4)],
        }
    }
}
