//! Phone-capture subscriptions: the pure rules behind the SMS/WhatsApp form.
//! Nothing here calls out. The sandbox service's own rules (the
//! double-opt-in workflow, keywords, segments) live with the server in
//! `demo/server`.

pub mod form_options;
pub mod outbox;
pub mod payload;
pub mod phone;
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
