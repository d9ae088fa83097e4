//! The relay's configuration (`relay.json`), validated when it starts: an
//! unknown key or a wrong value is an error that names it, so no typo can
//! leave a group without its double opt-in or a page's origin unchecked.

use crate::checkpoint::Signer;
use crate::error::Error;
use crate::limits::FileLimits;
use serde::Deserialize;
use std::net::IpAddr;
use std::time::Duration;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    upstream: String,
    #[serde(default = "default_key_env")]
    api_key_env: String,
    #[serde(default)]
    origins: Vec<String>,
    #[serde(default)]
    trusted_proxies: Vec<String>,
    groups: Vec<FileGroup>,
    #[serde(default)]
    limits: FileLimits,
    database: String,
    #[serde(default = "default_retention")]
    retention_days: u32,
    #[serde(default = "default_deliver_ms")]
    deliver_timeout_ms: u64,
    #[serde(default = "default_token_env")]
    user_token_secret_env: String,
    #[serde(default = "default_header_ms")]
    header_timeout_ms: u64,
    #[serde(default = "default_idle_ms")]
    idle_timeout_ms: u64,
    #[serde(default = "default_per_ip")]
    connections_per_ip: usize,
    #[serde(default = "default_signing_env")]
    signing_key_env: String,
    #[serde(default)]
    signing_key_file: Option<String>,
    #[serde(default)]
    region_header: Option<String>,
    #[serde(default)]
    subdivision_header: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileGroup {
    id: String,
    #[serde(default)]
    countries: Vec<String>,
    /// `"sms"` (the default), `"whatsapp"`, or `"email"` for an email
    /// subscription group (a sign-up form's email box).
    #[serde(default)]
    channel: Option<String>,
    /// Whether the relay forces Braze's double opt-in; required (true) by
    /// default for SMS and WhatsApp groups.
    #[serde(default)]
    double_opt_in: Option<bool>,
}

/// A subscription group the relay forwards to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// Braze's `subscription_group_id`.
    pub id: String,
    /// The countries whose numbers it takes (empty: any).
    pub countries: Vec<String>,
    /// An email group (it takes an email, not a number).
    pub email: bool,
    /// The relay sends `use_double_opt_in_logic: true` whatever the page
    /// asked (an SMS or WhatsApp group's default).
    pub double_opt_in: bool,
}

fn default_key_env() -> String {
    "BRAZE_API_KEY".into()
}

fn default_idle_ms() -> u64 {
    30_000
}

fn default_per_ip() -> usize {
    64
}

fn default_header_ms() -> u64 {
    10_000
}

/// Where the ledger's signing key is by default.
pub const SIGNING_KEY_ENV: &str = "CONSENTRY_LEDGER_KEY";

/// Where the secret external-id tokens are signed with is by default.
pub const USER_TOKEN_SECRET_ENV: &str = "CONSENTRY_USER_TOKEN_SECRET";

fn default_signing_env() -> String {
    SIGNING_KEY_ENV.into()
}

fn default_token_env() -> String {
    USER_TOKEN_SECRET_ENV.into()
}

/// How long ledger entries are kept by default, days.
pub const DEFAULT_RETENTION_DAYS: u32 = 3 * 365;

fn default_retention() -> u32 {
    DEFAULT_RETENTION_DAYS
}

fn default_deliver_ms() -> u64 {
    8_000
}

/// The relay's validated configuration (`relay.json`).
#[derive(Debug)]
pub struct Config {
    /// Braze's REST endpoint (or the sandbox), without a trailing slash.
    pub upstream: String,
    /// The environment variable that holds the API key.
    pub api_key_env: String,
    /// The site origins allowed to post (CORS), e.g. `https://shop.example`.
    pub origins: Vec<String>,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpAddr>,
    /// The subscription groups the forms post to.
    pub groups: Vec<Group>,
    /// Rate limits per client IP, number and prefix.
    pub limits: crate::limits::Limits,
    /// The ledger and requests: a SQLite file path, or a `postgres://` URL
    /// that several relays share.
    pub database: String,
    /// Ledger entries older than this many days are pruned.
    pub retention_days: u32,
    /// How long a request waits for Braze before it is answered 202 and
    /// left to the worker.
    pub deliver_timeout: Duration,
    /// The environment variable with the secret the site's backend signs
    /// external ids with ([`crate::user_token`]); unset: pages may name no
    /// external id.
    pub user_token_secret_env: String,
    /// What one client may hold: header and idle timeouts, connections
    /// per IP (the trusted proxies are exempt from the cap).
    pub guard: crate::http::Guard,
    /// Where the ledger's Ed25519 signing key is: a file, else the
    /// environment variable ([`crate::checkpoint`]).
    pub signing_key: SigningKey,
    /// The header the CDN puts the visitor's country in (`GET /region`),
    /// e.g. `cloudfront-viewer-country`, `cf-ipcountry`, `x-vercel-ip-country`.
    pub region_header: Option<String>,
    /// The header with the visitor's subdivision (`CA` of `US-CA`), e.g.
    /// `cloudfront-viewer-country-region`, `x-vercel-ip-country-region`.
    pub subdivision_header: Option<String>,
}

/// Where the ledger's signing key is kept (never in its database).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SigningKey {
    /// In this environment variable.
    Env(String),
    /// In this file.
    File(std::path::PathBuf),
}

impl SigningKey {
    /// Reads the key.
    pub fn load(&self) -> Result<Signer, Error> {
        let text = match self {
            SigningKey::Env(name) => std::env::var(name).map_err(|_| {
                Error::Config(format!("set {name} to the ledger's signing key (consentry-relay keygen makes one), or name a signing_key_file"))
            })?,
            SigningKey::File(path) => std::fs::read_to_string(path)
                .map_err(|e| Error::Config(format!("signing key file {}: {e}", path.display())))?,
        };
        Signer::from_text(&text).map_err(Error::Config)
    }
}

impl Config {
    /// Reads and validates `relay.json`; the error names the key.
    pub fn parse(text: &str) -> Result<Config, Error> {
        Config::read(text).map_err(Error::Config)
    }

    fn read(text: &str) -> Result<Config, String> {
        let file: FileConfig = serde_json::from_str(text).map_err(|e| format!("relay config: {e}"))?;
        let upstream = file.upstream.trim_end_matches('/').to_string();
        if !(upstream.starts_with("https://") || upstream.starts_with("http://")) {
            return Err(format!(
                "relay config: upstream {:?}; expected Braze's REST endpoint, e.g. \"https://rest.iad-01.braze.com\"",
                file.upstream
            ));
        }
        for o in &file.origins {
            let valid = (o.starts_with("https://") || o.starts_with("http://"))
                && !o.ends_with('/')
                && o.matches('/').count() == 2;
            if !valid {
                return Err(format!(
                    "relay config: origin {o:?}; expected a scheme and host without a path, e.g. \"https://shop.example\""
                ));
            }
        }
        let mut trusted_proxies = Vec::new();
        for p in &file.trusted_proxies {
            trusted_proxies.push(
                p.parse()
                    .map_err(|_| format!("relay config: trusted proxy {p:?}; expected an IP address"))?,
            );
        }
        if file.groups.is_empty() {
            return Err("relay config: groups is empty; expected the subscription groups the forms post to".into());
        }
        let mut groups = Vec::new();
        for g in file.groups {
            let email = match g.channel.as_deref() {
                None | Some("sms" | "whatsapp") => false,
                Some("email") => true,
                Some(other) => {
                    return Err(format!(
                        "relay config: group {:?} channel {other:?}; expected \"sms\", \"whatsapp\" or \"email\"",
                        g.id
                    ))
                }
            };
            if email && g.double_opt_in == Some(true) {
                return Err(format!(
                    "relay config: group {:?} is an email group; Braze's double opt-in is for SMS and WhatsApp",
                    g.id
                ));
            }
            groups.push(Group {
                id: g.id,
                countries: g.countries,
                email,
                double_opt_in: !email && g.double_opt_in.unwrap_or(true),
            });
        }
        Ok(Config {
            upstream,
            api_key_env: file.api_key_env,
            origins: file.origins,
            trusted_proxies: trusted_proxies.clone(),
            groups,
            limits: file.limits.limits("relay config")?,
            database: file.database,
            retention_days: file.retention_days,
            deliver_timeout: Duration::from_millis(file.deliver_timeout_ms),
            user_token_secret_env: file.user_token_secret_env,
            guard: crate::http::Guard {
                header_timeout: Duration::from_millis(file.header_timeout_ms),
                idle_timeout: Duration::from_millis(file.idle_timeout_ms),
                per_ip: file.connections_per_ip,
                exempt: trusted_proxies,
                // Requests in progress may wait for their delivery.
                drain: Duration::from_millis(file.deliver_timeout_ms) + Duration::from_secs(5),
            },
            signing_key: match file.signing_key_file {
                Some(path) => SigningKey::File(path.into()),
                None => SigningKey::Env(file.signing_key_env),
            },
            region_header: file.region_header,
            subdivision_header: file.subdivision_header,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_errors_name_the_key() {
        for (text, expected) in [
            (
                r#"{"upstream":"rest.braze.com","groups":[{"id":"g"}],"database":"r.db"}"#,
                "upstream",
            ),
            (
                r#"{"upstream":"https://x","groups":[],"database":"r.db"}"#,
                "groups is empty",
            ),
            (
                r#"{"upstream":"https://x","groups":[{"id":"g"}],"database":"r.db","origins":["https://a/"]}"#,
                "origin",
            ),
            (
                r#"{"upstream":"https://x","groups":[{"id":"g"}],"database":"r.db","trusted_proxies":["x"]}"#,
                "trusted proxy",
            ),
            (
                r#"{"upstream":"https://x","groups":[{"id":"g"}],"database":"r.db","colour":1}"#,
                "unknown field",
            ),
            (
                r#"{"upstream":"https://x","groups":[{"id":"g","channel":"SMS"}],"database":"r.db"}"#,
                r#"group "g" channel "SMS"; expected "sms", "whatsapp" or "email""#,
            ),
            (
                r#"{"upstream":"https://x","groups":[{"id":"g","channel":"email","double_opt_in":true}],"database":"r.db"}"#,
                "is an email group",
            ),
            (
                r#"{"upstream":"https://x","groups":[{"id":"g","double_opt_in":"false"}],"database":"r.db"}"#,
                "invalid type",
            ),
        ] {
            let e = Config::parse(text).unwrap_err().to_string();
            assert!(e.contains(expected), "{e}");
        }
        // SMS and WhatsApp groups require the double opt-in unless told not to.
        let c = Config::parse(
            r#"{"upstream":"https://x","database":"r.db","groups":[{"id":"a"},{"id":"b","channel":"whatsapp"},
                {"id":"c","double_opt_in":false},{"id":"d","channel":"email"}]}"#,
        )
        .unwrap();
        let required: Vec<bool> = c.groups.iter().map(|g| g.double_opt_in).collect();
        assert_eq!(required, [true, true, false, false]);
    }
}
