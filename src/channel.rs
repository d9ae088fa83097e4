//! The messaging channel: shared by the phone form's options and the
//! sandbox service's configuration.

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
