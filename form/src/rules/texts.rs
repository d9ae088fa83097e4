//! The form's built-in strings in English, Korean and Japanese. A site may
//! override any of them by key; `{phone}` is replaced by the number.
//!
//! ```
//! use consentry_form::rules::texts::{text, Locale};
//! assert_eq!(text(Locale::Ko, "submit"), Some("구독하기"));
//! assert_eq!(Locale::parse("ja-JP"), Some(Locale::Ja));
//! ```

#[allow(unused_imports)]
use crate::prelude::*;
/// A built-in language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locale {
    /// English.
    En,
    /// Korean.
    Ko,
    /// Japanese.
    Ja,
}

impl Locale {
    /// Reads `en`, `ko`, `ja`, also with a region (`ko-KR`).
    pub fn parse(tag: &str) -> Option<Locale> {
        match tag
            .split(['-', '_'])
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase()
            .as_str()
        {
            "en" => Some(Locale::En),
            "ko" => Some(Locale::Ko),
            "ja" => Some(Locale::Ja),
            _ => None,
        }
    }

    /// The language code.
    pub fn code(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::Ko => "ko",
            Locale::Ja => "ja",
        }
    }
}

/// Every key, with its English, Korean and Japanese text.
pub const TEXTS: [(&str, [&str; 3]); 59] = [
    (
        "title",
        ["Get texts from us", "문자 알림 받기", "SMSで最新情報を受け取る"],
    ),
    ("country", ["Country", "국가", "国"]),
    ("phone", ["Mobile number", "휴대폰 번호", "携帯電話番号"]),
    (
        "consent",
        [
            "Yes, send me texts as described below.",
            "아래 안내에 따라 문자 수신에 동의합니다.",
            "以下の内容でSMSを受け取ることに同意します。",
        ],
    ),
    ("submit", ["Subscribe", "구독하기", "登録する"]),
    ("sending", ["Sending…", "보내는 중…", "送信中…"]),
    (
        "pending",
        [
            "We sent a text to {phone}. Reply Y to confirm.",
            "{phone}(으)로 문자를 보냈습니다. Y로 답장하여 확인해 주세요.",
            "{phone} にSMSを送信しました。Y と返信して確認してください。",
        ],
    ),
    (
        "success",
        ["You are subscribed.", "구독되었습니다.", "登録が完了しました。"],
    ),
    (
        "queued",
        [
            "You seem to be offline. We will send it as soon as you are back.",
            "오프라인 상태입니다. 연결되면 바로 보내겠습니다.",
            "オフラインのようです。接続が戻り次第送信します。",
        ],
    ),
    (
        "unreachable",
        [
            "We can't reach our server right now. Your sign-up is saved and we will keep trying.",
            "지금은 서버에 연결할 수 없습니다. 신청 내용은 저장되었으며 계속 다시 시도합니다.",
            "現在サーバーに接続できません。登録内容は保存され、再送信を続けます。",
        ],
    ),
    (
        "change",
        [
            "Wrong number? Change it",
            "번호가 틀렸나요? 변경하기",
            "番号が違いますか?変更する",
        ],
    ),
    (
        "rejected_country",
        [
            "This programme does not accept numbers from {country}. Choose another country.",
            "이 프로그램은 {country} 번호를 받지 않습니다. 다른 국가를 선택해 주세요.",
            "このプログラムは{country}の番号を受け付けていません。別の国を選んでください。",
        ],
    ),
    (
        "rejected_number",
        [
            "This number cannot receive texts. Please check it.",
            "이 번호로는 문자를 받을 수 없습니다. 번호를 확인해 주세요.",
            "この番号ではSMSを受信できません。番号をご確認ください。",
        ],
    ),
    (
        "unavailable",
        [
            "Sign-up is not available right now. Please try again later.",
            "지금은 신청할 수 없습니다. 나중에 다시 시도해 주세요.",
            "現在登録を受け付けていません。後ほどお試しください。",
        ],
    ),
    ("retry", ["Try again now", "지금 다시 시도", "今すぐ再試行"]),
    ("close", ["Close", "닫기", "閉じる"]),
    (
        "consent_required",
        [
            "Please tick the box to agree.",
            "동의 상자를 선택해 주세요.",
            "同意のチェックを入れてください。",
        ],
    ),
    (
        "empty",
        [
            "Please enter your mobile number.",
            "휴대폰 번호를 입력해 주세요.",
            "携帯電話番号を入力してください。",
        ],
    ),
    (
        "invalid_character",
        [
            "Use digits only.",
            "숫자만 입력해 주세요.",
            "数字のみで入力してください。",
        ],
    ),
    (
        "too_short",
        [
            "This number is too short.",
            "번호가 너무 짧습니다.",
            "番号が短すぎます。",
        ],
    ),
    (
        "too_long",
        ["This number is too long.", "번호가 너무 깁니다.", "番号が長すぎます。"],
    ),
    (
        "invalid_start",
        [
            "This is not a valid mobile number.",
            "올바른 휴대폰 번호가 아닙니다.",
            "有効な携帯電話番号ではありません。",
        ],
    ),
    (
        "country_not_allowed",
        [
            "Numbers from this country cannot subscribe.",
            "이 국가의 번호는 구독할 수 없습니다.",
            "この国の番号は登録できません。",
        ],
    ),
    (
        "v_title",
        ["Verify your mobile number", "휴대폰 번호 인증", "携帯電話番号の認証"],
    ),
    (
        "v_login_title",
        [
            "Log in with your mobile number",
            "휴대폰 번호로 로그인",
            "携帯電話番号でログイン",
        ],
    ),
    ("send_code", ["Send code", "인증번호 받기", "コードを送信"]),
    ("code", ["Code from the text", "인증번호", "SMSの認証コード"]),
    (
        "code_sent",
        [
            "We texted a 6-digit code to {phone}.",
            "{phone}(으)로 6자리 인증번호를 보냈습니다.",
            "{phone} に6桁のコードを送信しました。",
        ],
    ),
    ("verify", ["Verify", "확인", "確認する"]),
    ("resend", ["Send a new code", "인증번호 다시 받기", "コードを再送信"]),
    (
        "resend_in",
        [
            "New code in {seconds} s",
            "{seconds}초 후 다시 받기",
            "{seconds}秒後に再送信できます",
        ],
    ),
    (
        "verified",
        ["Your number is verified.", "인증되었습니다.", "認証が完了しました。"],
    ),
    (
        "code_format",
        [
            "Enter the 6 digits from the text.",
            "문자로 받은 6자리 숫자를 입력해 주세요.",
            "SMSに記載の6桁の数字を入力してください。",
        ],
    ),
    (
        "wrong_code",
        [
            "That code is not right. {left} tries left.",
            "인증번호가 맞지 않습니다. {left}번 더 시도할 수 있습니다.",
            "コードが正しくありません。あと{left}回お試しいただけます。",
        ],
    ),
    (
        "code_expired",
        [
            "This code has expired. Ask for a new one.",
            "인증번호가 만료되었습니다. 새 인증번호를 받아 주세요.",
            "このコードは有効期限が切れています。新しいコードを送信してください。",
        ],
    ),
    (
        "too_many_checks",
        [
            "Too many wrong codes. Ask for a new one.",
            "잘못된 인증번호를 너무 많이 입력했습니다. 새 인증번호를 받아 주세요.",
            "誤ったコードの入力が多すぎます。新しいコードを送信してください。",
        ],
    ),
    (
        "too_many_codes",
        [
            "Too many codes went to this number. Try again in {minutes} min.",
            "이 번호로 인증번호를 너무 많이 보냈습니다. {minutes}분 후 다시 시도해 주세요.",
            "この番号へのコード送信が多すぎます。{minutes}分後にお試しください。",
        ],
    ),
    (
        "resend_too_soon",
        [
            "Please wait {seconds} s before asking for a new code.",
            "{seconds}초 후에 새 인증번호를 받을 수 있습니다.",
            "新しいコードは{seconds}秒後に送信できます。",
        ],
    ),
    (
        "too_many_requests",
        [
            "Too many attempts. Try again in {minutes} min.",
            "시도가 너무 많습니다. {minutes}분 후 다시 시도해 주세요.",
            "試行回数が多すぎます。{minutes}分後にお試しください。",
        ],
    ),
    (
        "quota_exhausted",
        [
            "We can't send codes right now. Please try again later.",
            "지금은 인증번호를 보낼 수 없습니다. 나중에 다시 시도해 주세요.",
            "現在コードを送信できません。後ほどお試しください。",
        ],
    ),
    (
        "already_registered",
        [
            "This number is already registered. Log in instead.",
            "이미 가입된 번호입니다. 로그인해 주세요.",
            "この番号は登録済みです。ログインしてください。",
        ],
    ),
    (
        "not_registered",
        [
            "No account uses this number. Sign up first.",
            "가입되지 않은 번호입니다. 먼저 가입해 주세요.",
            "この番号のアカウントはありません。先に登録してください。",
        ],
    ),
    (
        "v_unreachable",
        [
            "We can't reach our server. Check your connection and try again.",
            "서버에 연결할 수 없습니다. 연결을 확인하고 다시 시도해 주세요.",
            "サーバーに接続できません。接続を確認して再度お試しください。",
        ],
    ),
    (
        "v_unavailable",
        [
            "Verification is not available right now. Please try again later.",
            "지금은 인증할 수 없습니다. 나중에 다시 시도해 주세요.",
            "現在認証を行えません。後ほどお試しください。",
        ],
    ),
    (
        "join_title",
        [
            "Text {keyword} to {number}",
            "{number}(으)로 {keyword} 문자 보내기",
            "{number} に {keyword} と送信",
        ],
    ),
    (
        "join_scan",
        [
            "Scan with your phone's camera to text {keyword} to {number}.",
            "휴대폰 카메라로 스캔하면 {number}(으)로 {keyword} 문자를 보낼 수 있습니다.",
            "スマートフォンのカメラでスキャンすると {number} に {keyword} と送信できます。",
        ],
    ),
    (
        "wa_title",
        [
            "Get our messages on WhatsApp",
            "WhatsApp으로 소식 받기",
            "WhatsAppでお知らせを受け取る",
        ],
    ),
    (
        "wa_button",
        [
            "Send {keyword} on WhatsApp",
            "WhatsApp으로 {keyword} 보내기",
            "WhatsAppで {keyword} と送信",
        ],
    ),
    (
        "wa_scan",
        [
            "Scan with your phone's camera to open WhatsApp and send {keyword}.",
            "휴대폰 카메라로 스캔하면 WhatsApp에서 {keyword}(을)를 보낼 수 있습니다.",
            "スマートフォンのカメラでスキャンするとWhatsAppで {keyword} と送信できます。",
        ],
    ),
    (
        "signup_title",
        ["Create your account", "계정 만들기", "アカウントを作成"],
    ),
    ("email", ["Email", "이메일", "メールアドレス"]),
    (
        "email_box",
        [
            "Yes, send me promotional emails as described below.",
            "아래 안내에 따라 광고성 이메일 수신에 동의합니다.",
            "以下の内容でプロモーションメールを受け取ることに同意します。",
        ],
    ),
    (
        "sms_box",
        [
            "Yes, send me promotional texts as described below.",
            "아래 안내에 따라 광고성 문자 수신에 동의합니다.",
            "以下の内容でプロモーションSMSを受け取ることに同意します。",
        ],
    ),
    ("signup_submit", ["Sign up", "가입하기", "登録する"]),
    (
        "signup_success",
        ["You are signed up.", "가입되었습니다.", "登録が完了しました。"],
    ),
    (
        "signup_pending",
        [
            "You are signed up. We sent a text to {phone}: reply Y to confirm your texts.",
            "가입되었습니다. {phone}(으)로 문자를 보냈습니다. Y로 답장하여 문자 수신을 확인해 주세요.",
            "登録が完了しました。{phone} にSMSを送信しました。Y と返信してSMSの受信を確認してください。",
        ],
    ),
    (
        "email_invalid",
        [
            "Enter an email address such as name@example.com.",
            "name@example.com 형식의 이메일 주소를 입력해 주세요.",
            "name@example.com の形式でメールアドレスを入力してください。",
        ],
    ),
    (
        "email_required",
        [
            "Enter your email address to get emails.",
            "이메일을 받으려면 이메일 주소를 입력해 주세요.",
            "メールを受け取るにはメールアドレスを入力してください。",
        ],
    ),
    (
        "need_contact",
        [
            "Enter your email address or your mobile number.",
            "이메일 주소나 휴대폰 번호를 입력해 주세요.",
            "メールアドレスか携帯電話番号を入力してください。",
        ],
    ),
];

/// The text of `key`: the site's override among `overrides`, else the
/// built-in one in `locale` (every form's `texts` option).
pub fn pick(overrides: &[(String, String)], locale: Locale, key: &str) -> String {
    overrides
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
        .or_else(|| text(locale, key).map(str::to_string))
        .unwrap_or_default()
}

/// The built-in text of `key` in `locale`.
pub fn text(locale: Locale, key: &str) -> Option<&'static str> {
    let i = locale as usize;
    TEXTS
        .iter()
        .find(|(k, _)| *k == key)
        .and_then(|(_, t)| t.get(i).copied())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_has_every_language() {
        for (key, texts) in TEXTS {
            assert!(texts.iter().all(|t| !t.is_empty()), "{key}");
        }
        assert!(text(Locale::Ja, "pending").unwrap().contains("{phone}"));
        assert_eq!(text(Locale::En, "nope"), None);
    }

    #[test]
    fn phone_errors_have_messages() {
        use crate::rules::phone::PhoneError;
        for e in [
            PhoneError::Empty,
            PhoneError::InvalidCharacter('x'),
            PhoneError::TooShort,
            PhoneError::TooLong,
            PhoneError::InvalidStart,
            PhoneError::CountryNotAllowed,
        ] {
            assert!(text(Locale::Ko, e.code()).is_some(), "{}", e.code());
        }
    }
}
