//! Mail and events: what each change mails to whom (`notify`), delivering it (`outbox`),
//! the intake of inbound mail (`inbound`), bounces and complaints (`feedback`), and a
//! ticket's email history as support sees it (`email_history`).

pub mod email_history;
pub mod feedback;
pub mod inbound;
pub mod notify;
pub mod outbox;
