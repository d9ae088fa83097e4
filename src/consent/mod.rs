//! The consent engine. Pure Rust: it never calls out; it returns what
//! happened (a [`Commit`], warnings, the record to store) and the web layer
//! carries it out.

mod categories;
mod config;
mod gpp;
mod integrations;
mod permissions;
mod read;
mod record;
mod tcf;
mod ui;

pub use categories::{Categories, ADOBE, RESERVED};
pub use config::{permission_map, Config, Expiry, PermissionMap, StorageKind, DEFAULT_EXPIRY_SECONDS};
pub use gpp::{GppConfig, FIRST_SECTION_ID, MSPA, OPT_OUTS, SECTIONS};
pub use integrations::{all_approved, cookie_paths, tag_wanted, Integrations, CONSENT_TYPES};
pub use permissions::{Button, Commit, Engine, Status};
pub use read::{
    bad_member, bad_value, explained, members, needs_full_build, path, strict_bool, unknown_key, UNEXPLAINED,
};
pub use record::{
    domain_candidates, ChoiceMeta, Record, Texts, COOKIE_ROOM, FORMAT_VERSION, OWN_KEY, STORAGE_KEY, STORAGE_ROOM,
};
pub use tcf::{Rule, TcfConfig, ADOBE_VENDOR, DEFAULT_TIMEOUT};
pub use ui::{is_region, Policy, Ui, DEFAULT_REJECT_QUIET_DAYS, LANGUAGES, POLICIES, TEXT_KEYS};
