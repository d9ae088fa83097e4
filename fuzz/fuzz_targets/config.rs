//! Configuration objects: the gate's `consentryConfig` (with the TCF rules
//! and the integrations in it) and the phone form's options, from any JSON
//! text. Never panics; a configuration that parses approves nothing that
//! its `preOptInApprovals` does not.
#![no_main]
use consentry::consent::{Config, Engine};
use consentry::json::{parse, Value};
use consentry_form::rules::form_options::FormOptions;
use consentry_iab::tcf::rules::TcfConfig;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(value) = parse(text) else { return };
    let mut w = Vec::new();
    let _ = FormOptions::parse(&value, &mut w);
    let Ok(config) = Config::parse(&value, &mut w) else {
        return;
    };
    if let Some(tcf) = value.get("tcf") {
        let _ = TcfConfig::parse(&config.categories, tcf);
    }
    let _ = TcfConfig::parse(&config.categories, &Value::Null);
    let engine = Engine::start(config.clone(), [None, None], 1.8e12, true, &mut w);
    if config.opt_in_applies {
        for (i, approved) in engine.permissions().iter().enumerate() {
            let pre = config.pre_opt_in.as_ref().and_then(|p| p.get(i).copied().flatten());
            assert!(
                !approved || pre == Some(true),
                "category {i} approved without a pre-opt-in approval: {text}"
            );
        }
    }
});
