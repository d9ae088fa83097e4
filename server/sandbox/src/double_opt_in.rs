//! The double-opt-in workflow of one phone number in one subscription group,
//! as a pure state machine with the clock passed in.
//!
//! - An API subscribe with the double-opt-in flag makes the number pending
//!   (it reads as unsubscribed) and sends the prompt, at most one prompt per
//!   number per rolling 24 hours.
//! - A confirming reply within 30 days subscribes it and sends the
//!   confirmation; after 30 days the pending state lapses to unsubscribed and
//!   the reply is ignored.
//! - An opt-in keyword (START) from a number that is not subscribed enters
//!   the same workflow in a double-opt-in group: prompt, then subscribed on
//!   the confirmation, whatever the entry point (as Braze does). The
//!   person asked, so the prompt always goes: the 24-hour limit guards
//!   prompts the API starts, not a person's own request.
//! - Without the flag, or from an import, the number is subscribed at once.
//! - Until it confirms, a pending number gets only what the workflow sends:
//!   the prompt, and the help and opt-out replies carriers require; no
//!   custom-keyword reply (nor its bill).
//! - An opt-out keyword sends the opt-out confirmation first, then
//!   unsubscribes; an unsubscribed number receives nothing more unless it
//!   opts in again by keyword.
//!
//! ```
//! use consentry_sandbox::double_opt_in::{Event, Intent, Number, Send, State, DAY_MS};
//! let n = Number::default();
//! let (n, send) = n.step(Event::ApiSubscribe { double_opt_in: true }, 0);
//! assert_eq!((n.state, send), (State::Pending { since: 0 }, vec![Send::Prompt]));
//! let (n, send) = n.step(Event::Inbound { intent: Intent::Confirm, double_opt_in: true }, 2 * DAY_MS);
//! assert_eq!((n.state, send), (State::Subscribed, vec![Send::Confirmation]));
//! ```

/// One day in milliseconds.
pub const DAY_MS: u64 = 24 * 60 * 60 * 1000;
/// At most one prompt per number in this rolling window.
pub const PROMPT_INTERVAL_MS: u64 = DAY_MS;
/// How long a pending number may confirm.
pub const CONFIRM_WINDOW_MS: u64 = 30 * DAY_MS;

/// A number's state in a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum State {
    /// Not subscribed (also after a lapsed or refused confirmation).
    #[default]
    Unsubscribed,
    /// Waiting for the confirming reply since `since` (ms); reads as
    /// unsubscribed.
    Pending {
        /// When the prompt-triggering subscribe arrived.
        since: u64,
    },
    /// Subscribed.
    Subscribed,
}

impl State {
    /// What the subscription API reports: pending reads as unsubscribed.
    pub fn api_state(self) -> &'static str {
        match self {
            State::Subscribed => "subscribed",
            State::Unsubscribed | State::Pending { .. } => "unsubscribed",
        }
    }
}

/// What an inbound message means, as the group's keywords classify it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intent {
    /// A double-opt-in confirmation keyword (e.g. `Y`).
    Confirm,
    /// An opt-in keyword (START, YES, UNSTOP, ...).
    OptIn,
    /// An opt-out keyword (STOP, STOPALL, UNSUBSCRIBE, ...).
    OptOut,
    /// A help keyword (HELP, INFO).
    Help,
    /// A keyword of a custom category, by name.
    Custom(String),
    /// No keyword.
    Other,
}

/// Something that happened to the number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// `POST /subscription/status/set` with `subscribed`.
    ApiSubscribe {
        /// `use_double_opt_in_logic`.
        double_opt_in: bool,
    },
    /// `POST /subscription/status/set` with `unsubscribed`.
    ApiUnsubscribe,
    /// A row of an imported list: no double-opt-in workflow.
    Import {
        /// The imported state.
        subscribed: bool,
    },
    /// A reply from the number, in a group that uses double opt-in or not.
    Inbound {
        /// What the reply means.
        intent: Intent,
        /// Whether the group confirms opt-ins (an opt-in keyword then
        /// prompts instead of subscribing).
        double_opt_in: bool,
    },
}

/// A message the service must send, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Send {
    /// The double-opt-in prompt ("Reply Y to confirm ...").
    Prompt,
    /// The reply to a confirmation.
    Confirmation,
    /// The reply to an opt-in keyword.
    OptInReply,
    /// The reply to an opt-out keyword, sent before unsubscribing.
    OptOutConfirmation,
    /// The reply to a help keyword.
    HelpReply,
    /// The reply of a custom category, by name.
    CustomReply(String),
}

/// A number's workflow record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Number {
    /// The current state.
    pub state: State,
    /// When the last prompt was sent (ms).
    pub last_prompt: Option<u64>,
}

impl Number {
    /// The state at `now`: a pending number whose window has passed has
    /// fallen back to unsubscribed.
    pub fn state_at(&self, now: u64) -> State {
        match self.state {
            State::Pending { since } if now.saturating_sub(since) > CONFIRM_WINDOW_MS => State::Unsubscribed,
            s => s,
        }
    }

    /// Applies `event` at `now`; returns the new record and the messages to
    /// send, in order.
    pub fn step(self, event: Event, now: u64) -> (Number, Vec<Send>) {
        let mut next = Number {
            state: self.state_at(now),
            ..self
        };
        let mut send = Vec::new();
        // Entering the workflow: pending, and the prompt at most once per
        // rolling day when the API asked; a person who texted the keyword
        // asked themselves, and is always answered.
        let prompt = |next: &mut Number, send: &mut Vec<Send>, asked_by_the_number: bool| {
            next.state = State::Pending { since: now };
            if asked_by_the_number
                || next
                    .last_prompt
                    .is_none_or(|t| now.saturating_sub(t) >= PROMPT_INTERVAL_MS)
            {
                next.last_prompt = Some(now);
                send.push(Send::Prompt);
            }
        };
        match (next.state, event) {
            (_, Event::ApiSubscribe { double_opt_in: false }) | (_, Event::Import { subscribed: true }) => {
                next.state = State::Subscribed;
            }
            (_, Event::ApiUnsubscribe) | (_, Event::Import { subscribed: false }) => next.state = State::Unsubscribed,
            (State::Subscribed, Event::ApiSubscribe { double_opt_in: true }) => {}
            (_, Event::ApiSubscribe { double_opt_in: true }) => prompt(&mut next, &mut send, false),
            (
                State::Pending { .. },
                Event::Inbound {
                    intent: Intent::Confirm | Intent::OptIn,
                    ..
                },
            ) => {
                next.state = State::Subscribed;
                send.push(Send::Confirmation);
            }
            (
                State::Unsubscribed,
                Event::Inbound {
                    intent: Intent::OptIn,
                    double_opt_in: true,
                },
            ) => prompt(&mut next, &mut send, true),
            (
                State::Unsubscribed | State::Subscribed,
                Event::Inbound {
                    intent: Intent::OptIn, ..
                },
            ) => {
                next.state = State::Subscribed;
                send.push(Send::OptInReply);
            }
            (State::Unsubscribed, Event::Inbound { .. }) => {}
            (
                _,
                Event::Inbound {
                    intent: Intent::OptOut, ..
                },
            ) => {
                send.push(Send::OptOutConfirmation);
                next.state = State::Unsubscribed;
            }
            (
                _,
                Event::Inbound {
                    intent: Intent::Help, ..
                },
            ) => send.push(Send::HelpReply),
            (
                State::Subscribed,
                Event::Inbound {
                    intent: Intent::Custom(name),
                    ..
                },
            ) => send.push(Send::CustomReply(name)),
            (_, Event::Inbound { .. }) => {}
        }
        (next, send)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subscribe(n: Number, now: u64) -> (Number, Vec<Send>) {
        n.step(Event::ApiSubscribe { double_opt_in: true }, now)
    }

    /// A reply in a double-opt-in group.
    fn reply(intent: Intent) -> Event {
        Event::Inbound {
            intent,
            double_opt_in: true,
        }
    }

    #[test]
    fn an_opt_in_keyword_from_the_number_is_always_answered() {
        // Prompted by the API, opted out, then START within the day.
        let (n, _) = subscribe(Number::default(), 0);
        let (n, send) = n.step(reply(Intent::OptOut), 1_000);
        assert_eq!(send, vec![Send::OptOutConfirmation]);
        let (n, send) = n.step(reply(Intent::OptIn), 2_000);
        assert_eq!((n.state, send), (State::Pending { since: 2_000 }, vec![Send::Prompt]));
        // The API's own repeat within the day still prompts nobody.
        let (n, _) = n.step(reply(Intent::OptOut), 3_000);
        let (_, send) = subscribe(n, 4_000);
        assert!(send.is_empty());
    }

    #[test]
    fn pending_reads_as_unsubscribed() {
        let (n, _) = subscribe(Number::default(), 0);
        assert_eq!(n.state.api_state(), "unsubscribed");
    }

    #[test]
    fn at_most_one_prompt_per_rolling_day() {
        let (n, send) = subscribe(Number::default(), 1_000);
        assert_eq!(send, vec![Send::Prompt]);
        let (n, send) = subscribe(n, 1_000 + DAY_MS - 1);
        assert!(send.is_empty(), "second request within 24 hours is not prompted");
        assert_eq!(
            n.state,
            State::Pending {
                since: 1_000 + DAY_MS - 1
            }
        );
        let (n, send) = subscribe(n, 1_000 + DAY_MS);
        assert_eq!(send, vec![Send::Prompt]);
        assert_eq!(n.last_prompt, Some(1_000 + DAY_MS));
    }

    #[test]
    fn confirmation_within_thirty_days_subscribes() {
        let (n, _) = subscribe(Number::default(), 0);
        let (n, send) = n.step(reply(Intent::Confirm), CONFIRM_WINDOW_MS);
        assert_eq!((n.state, send), (State::Subscribed, vec![Send::Confirmation]));
    }

    #[test]
    fn confirmation_after_thirty_days_is_ignored() {
        let (n, _) = subscribe(Number::default(), 0);
        assert_eq!(n.state_at(CONFIRM_WINDOW_MS + 1), State::Unsubscribed);
        let (n, send) = n.step(reply(Intent::Confirm), CONFIRM_WINDOW_MS + 1);
        assert_eq!((n.state, send), (State::Unsubscribed, vec![]));
    }

    #[test]
    fn without_the_flag_or_by_import_subscribed_at_once() {
        let (n, send) = Number::default().step(Event::ApiSubscribe { double_opt_in: false }, 0);
        assert_eq!((n.state, send), (State::Subscribed, vec![]));
        let (n, send) = Number::default().step(Event::Import { subscribed: true }, 0);
        assert_eq!((n.state, send), (State::Subscribed, vec![]));
        let (n, _) = n.step(Event::Import { subscribed: false }, 0);
        assert_eq!(n.state, State::Unsubscribed);
    }

    #[test]
    fn opt_out_confirms_then_silences() {
        let (n, _) = Number::default().step(Event::ApiSubscribe { double_opt_in: false }, 0);
        let (n, send) = n.step(reply(Intent::OptOut), 5);
        assert_eq!((n.state, send), (State::Unsubscribed, vec![Send::OptOutConfirmation]));
        for intent in [
            Intent::OptOut,
            Intent::Help,
            Intent::Confirm,
            Intent::Custom("x".into()),
            Intent::Other,
        ] {
            let (after, send) = n.step(reply(intent), 6);
            assert_eq!((after.state, send), (State::Unsubscribed, vec![]));
        }
        let single = Event::Inbound {
            intent: Intent::OptIn,
            double_opt_in: false,
        };
        let (again, send) = n.step(single, 7);
        assert_eq!((again.state, send), (State::Subscribed, vec![Send::OptInReply]));
    }

    #[test]
    fn a_pending_number_may_opt_out_or_ask_for_help() {
        let (n, _) = subscribe(Number::default(), 0);
        let (p, send) = n.step(reply(Intent::Help), 1);
        assert_eq!((p.state, send), (State::Pending { since: 0 }, vec![Send::HelpReply]));
        let (n, send) = n.step(reply(Intent::OptOut), 1);
        assert_eq!((n.state, send), (State::Unsubscribed, vec![Send::OptOutConfirmation]));
    }

    #[test]
    fn subscribing_a_subscribed_number_sends_nothing() {
        let (n, _) = Number::default().step(Event::Import { subscribed: true }, 0);
        let (n, send) = subscribe(n, 1);
        assert_eq!((n.state, send), (State::Subscribed, vec![]));
        let (n, send) = n.step(reply(Intent::Custom("hours".into())), 2);
        assert_eq!(
            (n.state, send),
            (State::Subscribed, vec![Send::CustomReply("hours".into())])
        );
    }

    #[test]
    fn an_opt_in_keyword_in_a_double_opt_in_group_prompts_first() {
        // Issue 13: START subscribed a new number at once; Braze prompts
        // and subscribes on the confirmation, whatever the entry point.
        let (n, send) = Number::default().step(reply(Intent::OptIn), 0);
        assert_eq!((n.state, send), (State::Pending { since: 0 }, vec![Send::Prompt]));
        let (n, send) = n.step(reply(Intent::Confirm), 5);
        assert_eq!((n.state, send), (State::Subscribed, vec![Send::Confirmation]));
        // A lapsed number prompts again; a subscribed one is answered.
        let (lapsed, _) = Number::default().step(reply(Intent::OptIn), 0);
        let later = CONFIRM_WINDOW_MS + DAY_MS;
        let (again, send) = lapsed.step(reply(Intent::OptIn), later);
        assert_eq!(
            (again.state, send),
            (State::Pending { since: later }, vec![Send::Prompt])
        );
        let (n, send) = n.step(reply(Intent::OptIn), 6);
        assert_eq!((n.state, send), (State::Subscribed, vec![Send::OptInReply]));
    }

    #[test]
    fn a_pending_number_gets_only_what_the_workflow_sends() {
        let (n, _) = subscribe(Number::default(), 0);
        for intent in [Intent::Custom("hours".into()), Intent::Other] {
            let (after, send) = n.step(reply(intent), 1);
            assert_eq!((after.state, send), (State::Pending { since: 0 }, vec![]));
        }
    }
}
