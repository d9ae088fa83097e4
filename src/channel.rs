//! The messaging channel: shared by the phone form's options and the
//! sandbox service's configuration.

/// The longest opt-in keyword, in characters.
pub const MAX_KEYWORD_CHARS: usize = 34;

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

    /// Whether `keyword` can be one of the channel's keywords: 1 to
    /// [`MAX_KEYWORD_CHARS`] characters; one word for SMS (a spaced keyword
    /// would opt nobody in), words separated by single spaces on WhatsApp.
    // Inline: compiled where it is used (the form, the sandbox), not into
    // the core's own code, where it cost the gate's wasm 138 bytes brotli
    // that it never calls.
    #[inline]
    pub fn takes_keyword(self, keyword: &str) -> bool {
        let spaced = match self {
            Channel::Sms => !keyword.contains(char::is_whitespace),
            Channel::WhatsApp => keyword
                .split(' ')
                .all(|w| !w.is_empty() && !w.contains(char::is_whitespace)),
        };
        spaced && (1..=MAX_KEYWORD_CHARS).contains(&keyword.chars().count())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sms_keywords_are_one_word_and_whatsapp_takes_phrases() {
        for (keyword, sms, whatsapp) in [
            ("JOIN", true, true),
            ("JOIN NOW", false, true),
            ("JOIN  NOW", false, false),
            ("JOIN\nNOW", false, false),
            (" JOIN", false, false),
            ("", false, false),
            (&"X".repeat(34), true, true),
            (&"X".repeat(35), false, false),
        ] {
            assert_eq!(
                (
                    Channel::Sms.takes_keyword(keyword),
                    Channel::WhatsApp.takes_keyword(keyword)
                ),
                (sms, whatsapp),
                "{keyword:?}"
            );
        }
    }
}
