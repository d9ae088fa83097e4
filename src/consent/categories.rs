//! Solution categories: Adobe's eight plus the ones a site declares.

use alloc::{string::String, vec::Vec};
/// Adobe's `OptInCategories` as `(key, value)`; the API takes the values.
pub const ADOBE: [(&str, &str); 8] = [
    ("AAM", "aam"),
    ("ADCLOUD", "adcloud"),
    ("ANALYTICS", "aa"),
    ("CAMPAIGN", "campaign"),
    ("ECID", "ecid"),
    ("LIVEFYRE", "livefyre"),
    ("TARGET", "target"),
    ("MEDIA_ANALYTICS", "mediaaa"),
];

/// Reserved for Consentry's own fields in the stored record.
pub const RESERVED: &str = "consentry";

/// The ordered set of categories one page knows: Adobe's first, then the
/// site's in declaration order. Permissions are vectors in this order.
#[derive(Debug, Clone, PartialEq)]
pub struct Categories {
    names: Vec<String>,
}

impl Default for Categories {
    fn default() -> Self {
        let mut names = Vec::new();
        for (_, v) in ADOBE {
            names.push(String::from(v));
        }
        Categories { names }
    }
}

impl Categories {
    /// Adobe's eight plus `site`. Names are 1 to 64 characters of `a-z`,
    /// `0-9`, `_` and `-`, unique, and not `consentry`.
    pub fn with_site(site: &[String]) -> Result<Categories, String> {
        let mut cats = Categories::default();
        for name in site {
            let valid = !name.is_empty()
                && name.len() <= 64
                && name
                    .bytes()
                    .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-'));
            if !valid || name == RESERVED {
                return Err(super::explained(|| {
                    let mut m = String::from("category ");
                    crate::json::write_string(name, &mut m);
                    m.push_str(" is not a valid name (expected 1 to 64 of a-z, 0-9, _ and -, not \"consentry\")");
                    m
                }));
            }
            if cats.index(name).is_some() {
                return Err(super::explained(|| {
                    let mut m = String::from("category ");
                    crate::json::write_string(name, &mut m);
                    m.push_str(" is declared twice");
                    m
                }));
            }
            cats.names.push(name.clone());
        }
        Ok(cats)
    }

    /// The category values in order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// How many categories there are.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Always false: Adobe's eight are always present.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The position of `name`, if known.
    pub fn index(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    /// Resolves names to positions; an empty list or an unknown name is an
    /// error naming the value and the known set.
    pub fn resolve<S: AsRef<str>>(&self, names: &[S]) -> Result<Vec<usize>, String> {
        if names.is_empty() {
            let mut m = String::from("expected a category or a non-empty array of categories (known: ");
            self.list_into(&mut m);
            m.push(')');
            return Err(m);
        }
        let mut out = Vec::new();
        for n in names {
            out.push(self.index(n.as_ref()).ok_or_else(|| self.unknown(n.as_ref()))?);
        }
        Ok(out)
    }

    /// `unknown category "name" (known: ...)`.
    pub fn unknown(&self, name: &str) -> String {
        let mut m = String::from("unknown category ");
        crate::json::write_string(name, &mut m);
        m.push_str(" (known: ");
        self.list_into(&mut m);
        m.push(')');
        m
    }

    fn list_into(&self, out: &mut String) {
        for (i, n) in self.names.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            out.push_str(n);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn site_categories_follow_adobes() {
        let c = Categories::with_site(&["analytics".into(), "sms".into()]).unwrap();
        assert_eq!(c.len(), 10);
        assert_eq!(c.index("aa"), Some(2));
        assert_eq!(c.index("sms"), Some(9));
    }

    #[test]
    fn bad_site_categories_are_refused() {
        for bad in ["", "Ads", "a b", "consentry", "aa", "<script>"] {
            assert!(Categories::with_site(&[bad.to_string()]).is_err(), "{bad}");
        }
    }

    #[test]
    fn unknown_names_list_the_known_set() {
        let e = Categories::default().resolve(&["foo"]).unwrap_err();
        assert_eq!(
            e,
            "unknown category \"foo\" (known: aam, adcloud, aa, campaign, ecid, livefyre, target, mediaaa)"
        );
        assert!(Categories::default().resolve::<&str>(&[]).is_err());
    }
}
