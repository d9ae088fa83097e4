//! Phone-capture subscriptions: the pure rules behind the SMS/WhatsApp form
//! and the sandbox subscription service. Nothing here calls out.

pub mod double_opt_in;
pub mod phone;
pub mod segments;
