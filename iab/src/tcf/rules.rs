//! Which categories a TC string approves, by the `tcf` configuration's
//! rules (validated by the core at `init`: `consentry::consent::TcfConfig`).

use super::TcString;
use alloc::vec::Vec;
pub use consentry::consent::{TcfConfig, ADOBE_VENDOR, DEFAULT_TIMEOUT};

/// The rules applied to a TC string.
pub trait Rules {
    /// What the TC string says for each ruled category.
    fn permissions(&self, tc: &TcString) -> Vec<(usize, bool)>;
    /// Every ruled category denied: what an unreadable TC string means.
    fn deny_all(&self) -> Vec<(usize, bool)>;
}

impl Rules for TcfConfig {
    fn permissions(&self, tc: &TcString) -> Vec<(usize, bool)> {
        fn all<T: Copy + Into<u64>>(needed: &[u64], given: &[T]) -> bool {
            needed.iter().all(|n| given.iter().any(|g| (*g).into() == *n))
        }
        self.rules
            .iter()
            .map(|r| {
                let ok = all(&r.purposes, &tc.purpose_consents)
                    && all(&r.vendors, &tc.vendor_consents)
                    && all(&r.special_features, &tc.special_feature_optins);
                (r.category, ok)
            })
            .collect()
    }

    fn deny_all(&self) -> Vec<(usize, bool)> {
        self.rules.iter().map(|r| (r.category, false)).collect()
    }
}
