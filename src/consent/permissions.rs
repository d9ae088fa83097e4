//! The consent engine: committed and staged permissions, status, commits.
//!
//! ```
//! use consentry::consent::{Config, Engine, Status};
//! let config = Config { opt_in_applies: true, ..Config::default() };
//! let mut engine = Engine::start(config, [None, None], 0.0, false, &mut vec![]);
//! let aa = engine.config().categories.resolve(&["aa"]).unwrap();
//! assert!(engine.set(&aa, true, true, 1.0, &mut || "id".into()).is_none()); // staged
//! assert!(!engine.is_approved(&["aa"]));                                    // invisible
//! let commit = engine.complete(2.0, &mut || "id".into()).unwrap();
//! assert_eq!(commit.changes, vec![(2, true)]);
//! assert!(engine.is_approved(&["aa"]) && engine.status() == Status::Complete);
//! ```

use super::config::{Config, Expiry, PermissionMap, StorageKind};
use super::record::{ChoiceMeta, Record, Texts};
use super::ui::Policy;
use crate::json::Value;
use alloc::{string::String, vec, vec::Vec};

/// Adobe's three states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// No choice yet.
    Pending,
    /// Changes are staged and wait for `complete()`.
    Changed,
    /// A choice is in force.
    Complete,
}

impl Status {
    /// The JS spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Changed => "changed",
            Status::Complete => "complete",
        }
    }
}

/// What a commit did, for the web layer to carry out.
#[derive(Debug, Clone, PartialEq)]
pub struct Commit {
    /// The permissions now in force, in category order.
    pub permissions: Vec<bool>,
    /// Categories whose permission changed, with the new value.
    pub changes: Vec<(usize, bool)>,
    /// The record's texts to store, when storage is on.
    pub stored: Option<Texts>,
}

/// The consent state of one page.
#[derive(Debug, Clone)]
pub struct Engine {
    config: Config,
    permissions: Vec<bool>,
    staged: Option<Vec<bool>>,
    status: Status,
    memo: Vec<(String, Value)>,
    meta: Option<ChoiceMeta>,
    has_choice: bool,
    gpc: bool,
    /// The stored (or this page's) choice, before the policy is applied.
    choice: Option<PermissionMap>,
    /// With `ui`: the visitor's region's policy.
    policy: Policy,
    /// The choice is in date and decides every category the banner shows.
    fresh: bool,
    /// The next commit is an acknowledgement of a notice, not a choice.
    acknowledging: bool,
}

/// What a button of the banner or preference centre commits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Button {
    /// Every category the banner shows.
    AcceptAll,
    /// Only the necessary ones.
    RejectAll,
    /// The switches the visitor set (only `true` approves).
    Save,
    /// A notice's "OK": everything stays on; not consent where opt-in applies.
    Acknowledge,
}

/// The categories whose permission differs, with the new value.
fn diff(new: &[bool], old: &[bool]) -> Vec<(usize, bool)> {
    let mut changes = Vec::new();
    for (i, (n, o)) in new.iter().zip(old).enumerate() {
        if n != o {
            changes.push((i, *n));
        }
    }
    changes
}

fn overlay(perms: &mut [bool], map: &PermissionMap) {
    for (p, m) in perms.iter_mut().zip(map) {
        if let Some(v) = m {
            *p = *v;
        }
    }
}

impl Engine {
    /// Starts from the configuration and the stored record's texts,
    /// Adobe's value and Consentry's (read only when storage is enabled). Precedence: all denied, then
    /// `preOptInApprovals`, Global Privacy Control (`gpc`: the categories
    /// marked sale or sharing are denied), `previousPermissions`, the stored
    /// choice. With opt-in off everything is approved and the status is
    /// `complete`. With `ui` the region's policy sets the defaults, and a
    /// stored choice counts only while it is in date (see [`Engine::asks`]).
    pub fn start(config: Config, stored: [Option<&str>; 2], now: f64, gpc: bool, warnings: &mut Vec<String>) -> Engine {
        let expired_before = match (config.storage, config.expiry) {
            (StorageKind::LocalStorage, Expiry::Seconds(s)) if config.ui().is_none() => {
                Some(now - f64::from(s) * 1000.0)
            }
            _ => None,
        };
        let [adobe, own] = stored;
        let mut record = match config.storage_enabled {
            true => Record::decode(
                adobe,
                own,
                &config.categories,
                config.revision,
                expired_before,
                warnings,
            ),
            false => None,
        }
        .unwrap_or_default();
        let mut policy = Policy::OptIn;
        let mut fresh = false;
        if let Some(ui) = config.ui() {
            policy = ui.policy(ui.region.as_deref());
            if let Some(choice) = &record.choice {
                // A choice lasts `optInStorageExpiry`; one that refused
                // everything at least `rejectQuietDays`, so the banner does
                // not come back sooner.
                let rejected = ui
                    .shown
                    .iter()
                    .all(|i| ui.necessary.contains(i) || choice.get(*i) == Some(&Some(false)));
                let mut lifetime = match config.expiry {
                    Expiry::Seconds(s) => f64::from(s) * 1000.0,
                    _ => f64::INFINITY,
                };
                if rejected {
                    lifetime = lifetime.max(f64::from(ui.quiet_days) * 86_400_000.0);
                }
                if record.meta.as_ref().is_some_and(|m| now - m.time > lifetime) {
                    warnings.push(String::from("stored consent expired; asking again"));
                    record.choice = None;
                } else {
                    // A category added since is a purpose not yet asked about.
                    fresh = ui.shown.iter().all(|i| matches!(choice.get(*i), Some(Some(_))));
                }
            }
        }
        let mut engine = Engine {
            permissions: Vec::new(),
            staged: None,
            status: Status::Complete,
            has_choice: false,
            choice: record.choice,
            memo: record.memo,
            meta: record.meta,
            config,
            gpc,
            policy,
            fresh,
            acknowledging: false,
        };
        engine.settle();
        engine
    }

    /// The permissions before staging: all denied, then `preOptInApprovals`
    /// (with `ui`: all approved where the policy is not opt-in), Global
    /// Privacy Control, `previousPermissions`, the choice; the necessary
    /// categories on.
    fn settle(&mut self) {
        let c = &self.config;
        let open = match c.ui() {
            Some(_) => self.policy != Policy::OptIn,
            None => !c.opt_in_applies,
        };
        let mut p = vec![open; c.categories.len()];
        self.status = Status::Complete;
        if c.opt_in_applies {
            let mut complete = false;
            if let (Some(pre), false) = (&c.pre_opt_in, open) {
                overlay(&mut p, pre);
            }
            if self.gpc && self.policy != Policy::None {
                // Where the visitor may opt out, GPC is that opt-out: of the
                // categories marked sale or sharing, or of all but the
                // necessary when none are marked.
                let denied = match c.ui() {
                    Some(ui) if self.policy == Policy::OptOut && c.integrations.gpc.is_empty() => &ui.shown,
                    _ => &c.integrations.gpc,
                };
                for i in denied {
                    if let Some(p) = p.get_mut(*i) {
                        *p = false;
                    }
                }
            }
            if let Some(prev) = &c.previous {
                overlay(&mut p, prev);
                complete = prev.iter().any(Option::is_some);
            }
            // A notice acknowledged elsewhere is no consent where opt-in applies.
            let acknowledged = self.meta.as_ref().is_some_and(|m| m.notice);
            self.has_choice = self.choice.is_some() && !(self.policy == Policy::OptIn && acknowledged);
            if let (Some(choice), true) = (&self.choice, self.has_choice) {
                overlay(&mut p, choice);
                complete = true;
            }
            if !complete {
                self.status = Status::Pending;
            }
            for i in c.ui().iter().flat_map(|ui| &ui.necessary) {
                if let Some(p) = p.get_mut(*i) {
                    *p = true;
                }
            }
        }
        self.permissions = p;
    }

    /// With `ui`: the policy in force.
    pub fn policy(&self) -> Policy {
        self.policy
    }

    /// With `ui`: whether the banner must ask (opt-in or notice, and no
    /// choice in date that decides every category it shows).
    pub fn asks(&self) -> bool {
        self.config.ui().is_some()
            && matches!(self.policy, Policy::OptIn | Policy::Notice)
            && !(self.has_choice && self.fresh)
    }

    /// With `ui`: the visitor's region became known (`region` is a valid
    /// code). Without a choice the defaults follow the new policy; the
    /// changes are answered like a commit's, with nothing to store.
    pub fn locate(&mut self, region: &str) -> Option<Commit> {
        let ui = self.config.ui_mut()?;
        ui.region = Some(region.into());
        self.policy = ui.policy(Some(region));
        let before = core::mem::take(&mut self.permissions);
        self.settle();
        let changes = diff(&self.permissions, &before);
        (!changes.is_empty()).then(|| Commit {
            permissions: self.permissions.clone(),
            changes,
            stored: None,
        })
    }

    /// With `ui`: what a button commits, at once, with everything staged
    /// (`switches`: the preference centre's, for [`Button::Save`]); `None`
    /// without `ui`.
    pub fn choose(
        &mut self,
        button: Button,
        switches: &PermissionMap,
        now: f64,
        new_id: &mut dyn FnMut() -> String,
    ) -> Option<Commit> {
        let ui = self.config.ui()?;
        let staged = self.staged.get_or_insert_with(|| self.permissions.clone());
        for i in &ui.shown {
            let on = match button {
                Button::AcceptAll | Button::Acknowledge => true,
                Button::RejectAll => false,
                Button::Save => matches!(switches.get(*i), Some(Some(true))),
            };
            if let Some(p) = staged.get_mut(*i) {
                *p = on || ui.necessary.contains(i);
            }
        }
        self.acknowledging = button == Button::Acknowledge;
        Some(self.commit(now, new_id))
    }

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The committed permissions, in category order.
    pub fn permissions(&self) -> &[bool] {
        &self.permissions
    }

    /// The current status.
    pub fn status(&self) -> Status {
        self.status
    }

    /// Proof-of-consent details of the last choice, if any.
    pub fn meta(&self) -> Option<&ChoiceMeta> {
        self.meta.as_ref()
    }

    /// True when every named category is approved; unknown names are not.
    /// An empty list asks about every category.
    pub fn is_approved<S: AsRef<str>>(&self, names: &[S]) -> bool {
        self.check(names, |i| self.permissions.get(i).copied().unwrap_or(false))
    }

    /// The same check against `preOptInApprovals`; under GPC the categories
    /// marked sale or sharing are never pre-approved.
    pub fn is_pre_approved<S: AsRef<str>>(&self, names: &[S]) -> bool {
        let pre = self.config.pre_opt_in.as_ref();
        let gpc = self.gpc_denied();
        self.check(names, |i| {
            pre.and_then(|p| p.get(i).copied().flatten()) == Some(true) && !gpc.contains(&i)
        })
    }

    /// The categories Global Privacy Control denies by default.
    fn gpc_denied(&self) -> &[usize] {
        match self.gpc {
            true => &self.config.integrations.gpc,
            false => &[],
        }
    }

    /// Applies choices a CMP made (TCF) to the categories they name: they
    /// commit at once; changes the visitor has staged stay staged. Nothing
    /// happens when they change nothing and a choice is already in force.
    pub fn apply(&mut self, choices: &[(usize, bool)], now: f64, new_id: &mut dyn FnMut() -> String) -> Option<Commit> {
        if !self.config.opt_in_applies {
            return None;
        }
        let set = |perms: &mut Vec<bool>| {
            for (i, v) in choices {
                if let Some(p) = perms.get_mut(*i) {
                    *p = *v;
                }
            }
        };
        let mut next = self.permissions.clone();
        set(&mut next);
        if next == self.permissions && self.status != Status::Pending {
            return None;
        }
        let mut staged = self.staged.replace(next);
        let commit = self.commit(now, new_id);
        if let Some(s) = &mut staged {
            set(s);
            self.status = Status::Changed;
        }
        self.staged = staged;
        Some(commit)
    }

    fn check<S: AsRef<str>>(&self, names: &[S], approved: impl Fn(usize) -> bool) -> bool {
        let cats = &self.config.categories;
        if names.is_empty() {
            (0..cats.len()).all(approved)
        } else {
            names.iter().all(|n| cats.index(n.as_ref()).is_some_and(&approved))
        }
    }

    /// Approves (`value` true) or denies the categories at `indices`.
    /// With `wait` the change is staged (status `changed`); otherwise it
    /// and everything staged before commit at once. With opt-in off nothing
    /// changes: every category stays approved.
    pub fn set(
        &mut self,
        indices: &[usize],
        value: bool,
        wait: bool,
        now: f64,
        new_id: &mut dyn FnMut() -> String,
    ) -> Option<Commit> {
        if !self.config.opt_in_applies {
            return None;
        }
        let staged = self.staged.get_or_insert_with(|| self.permissions.clone());
        for i in indices {
            if let Some(p) = staged.get_mut(*i) {
                *p = value;
            }
        }
        if wait {
            self.status = Status::Changed;
            None
        } else {
            Some(self.commit(now, new_id))
        }
    }

    /// The same for every category.
    pub fn set_all(&mut self, value: bool, wait: bool, now: f64, new_id: &mut dyn FnMut() -> String) -> Option<Commit> {
        let mut all = Vec::new();
        for i in 0..self.config.categories.len() {
            all.push(i);
        }
        self.set(&all, value, wait, now, new_id)
    }

    /// Commits staged changes when the status is `changed`; otherwise
    /// nothing happens.
    pub fn complete(&mut self, now: f64, new_id: &mut dyn FnMut() -> String) -> Option<Commit> {
        (self.status == Status::Changed).then(|| self.commit(now, new_id))
    }

    fn commit(&mut self, now: f64, new_id: &mut dyn FnMut() -> String) -> Commit {
        let next = self.staged.take().unwrap_or_else(|| self.permissions.clone());
        let changes = diff(&next, &self.permissions);
        self.choice = Some(next.iter().map(|p| Some(*p)).collect());
        self.permissions = next;
        self.status = Status::Complete;
        self.has_choice = true;
        self.fresh = true;
        let id = match self.meta.take() {
            Some(m) if !m.id.is_empty() => m.id,
            _ => new_id(),
        };
        self.meta = Some(ChoiceMeta {
            revision: self.config.revision,
            time: now,
            id,
            gpc: self.gpc,
            notice: core::mem::take(&mut self.acknowledging),
        });
        Commit {
            permissions: self.permissions.clone(),
            changes,
            stored: self.record_text(),
        }
    }

    /// Keeps `members` beside the permissions in the stored record, all or
    /// none. Returns the record's texts to store when storage is on, or
    /// `Err(bytes)` when Adobe's value would no longer fit where it is
    /// stored ([`Record::room`]; checked with every category decided, so a
    /// later choice always fits): then nothing changes, and the stored
    /// choice is never lost to memoized content.
    pub fn memoize(&mut self, members: Vec<(String, Value)>) -> Result<Option<Texts>, usize> {
        // Applied in place; undone if it does not fit.
        let (len, mut undo) = (self.memo.len(), Vec::new());
        for (key, value) in members {
            match self.memo.iter_mut().find(|(k, _)| *k == key) {
                Some(slot) => undo.push((key, core::mem::replace(&mut slot.1, value))),
                None => self.memo.push((key, value)),
            }
        }
        if self.record_text().is_some() {
            let all: Vec<Option<bool>> = self.permissions.iter().map(|p| Some(*p)).collect();
            let (adobe, _) = Record::encode_parts(&self.config.categories, Some(&all), &self.memo, None);
            let size = Record::stored_size(&adobe, self.config.storage);
            if size > Record::room(self.config.storage) {
                self.memo.truncate(len);
                for (key, old) in undo.into_iter().rev() {
                    if let Some(slot) = self.memo.iter_mut().find(|(k, _)| *k == key) {
                        slot.1 = old;
                    }
                }
                return Err(size);
            }
        }
        Ok(self.record_text())
    }

    /// A memoized value.
    pub fn memoized(&self, key: &str) -> Option<&Value> {
        self.memo.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    fn record_text(&self) -> Option<Texts> {
        if !self.config.storage_enabled || self.config.expiry == Expiry::None {
            return None;
        }
        let mut choice = Vec::new();
        for p in &self.permissions {
            choice.push(Some(*p));
        }
        let has = self.has_choice;
        Some(Record::encode_parts(
            &self.config.categories,
            has.then_some(choice.as_slice()),
            &self.memo,
            self.meta.as_ref().filter(|_| has),
        ))
    }
}
