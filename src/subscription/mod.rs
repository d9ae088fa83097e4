//! Phone-capture subscriptions: the pure rules behind the SMS/WhatsApp form
//! and the sandbox subscription service. Nothing here calls out.
//!
//! The form in the browser needs [`form_options`], [`texts`], [`phone`],
//! [`payload`] and [`outbox`]; the workflow, keyword and segment rules
//! belong to the sandbox service and are built with the `sandbox` feature,
//! so they never reach the wasm (merely compiling `segments` into the wasm
//! crate cost 4 KB brotli there, though nothing calls it).

#[cfg(feature = "sandbox")]
pub mod double_opt_in;
pub mod form_options;
#[cfg(feature = "sandbox")]
pub mod keywords;
pub mod outbox;
pub mod payload;
pub mod phone;
#[cfg(feature = "sandbox")]
pub mod segments;
pub mod sha256;
pub mod texts;

/// SMS or WhatsApp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// SMS.
    Sms,
    /// WhatsApp.
    WhatsApp,
}

impl Channel {
    /// Reads `"sms"` or `"whatsapp"`.
    pub fn parse(name: &str) -> Option<Channel> {
        match name {
            "sms" => Some(Channel::Sms),
            "whatsapp" => Some(Channel::WhatsApp),
            _ => None,
        }
    }
}
