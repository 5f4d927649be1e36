//! SES's bounce and complaint events (configuration set → EventBridge) read into the core's
//! [`Feedback`]. SES has already judged them, so a permanent bounce suppresses the address
//! whether or not the mail is still on a ticket.

use crate::mail::{MAIL_TAG, TICKET_TAG};
use claimdesk_core::domain::ids::TicketId;
use claimdesk_core::services::mail::feedback::{Feedback, FeedbackKind};
use serde_json::Value;

fn first_tag(detail: &Value, name: &str) -> Option<String> {
    detail["mail"]["tags"][name][0].as_str().map(str::to_string)
}

/// The feedback in one SES event's `detail`; empty for other event types (deliveries, sends).
pub fn from_ses_event(detail: &Value) -> Vec<Feedback> {
    let event_type = detail["eventType"]
        .as_str()
        .or(detail["notificationType"].as_str())
        .unwrap_or("");
    // A tag that is not one of our ticket ids names no ticket.
    let ticket_id = first_tag(detail, TICKET_TAG).and_then(|id| TicketId::parse(&id));
    let mail_id = first_tag(detail, MAIL_TAG);
    let one = |address: &Value, kind, permanent, detail: String| {
        address.as_str().map(|a| Feedback {
            address: a.to_ascii_lowercase(),
            kind,
            permanent,
            detail,
            ticket_id: ticket_id.clone(),
            mail_id: mail_id.clone(),
        })
    };
    match event_type {
        "Bounce" => {
            let bounce = &detail["bounce"];
            let permanent = bounce["bounceType"].as_str() == Some("Permanent");
            let kind_text = format!(
                "{} bounce ({})",
                bounce["bounceType"].as_str().unwrap_or("unknown"),
                bounce["bounceSubType"].as_str().unwrap_or("-")
            );
            bounce["bouncedRecipients"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|r| {
                    let why = r["diagnosticCode"]
                        .as_str()
                        .map(|d| format!("{kind_text}: {d}"))
                        .unwrap_or(kind_text.clone());
                    one(&r["emailAddress"], FeedbackKind::Bounce, permanent, why)
                })
                .collect()
        }
        "Complaint" => {
            let complaint = &detail["complaint"];
            let why = format!(
                "complaint ({})",
                complaint["complaintFeedbackType"].as_str().unwrap_or("not given")
            );
            complaint["complainedRecipients"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|r| one(&r["emailAddress"], FeedbackKind::Complaint, true, why.clone()))
                .collect()
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bounces_and_complaints_name_address_mail_and_ticket() {
        let tags = json!({ "claimdesk-mail": ["m_1"], "claimdesk-ticket": ["t_abcdefghijkmnpqrstuvwxyz22"] });
        let bounce = json!({
            "eventType": "Bounce",
            "bounce": { "bounceType": "Permanent", "bounceSubType": "General",
                        "bouncedRecipients": [{ "emailAddress": "Gone@Example.com", "diagnosticCode": "550 5.1.1 user unknown" }] },
            "mail": { "tags": tags }
        });
        let read = from_ses_event(&bounce);
        assert_eq!(read.len(), 1);
        assert_eq!(read[0].address, "gone@example.com");
        assert!(read[0].permanent);
        assert_eq!(
            (read[0].ticket_id.as_deref(), read[0].mail_id.as_deref()),
            (Some("t_abcdefghijkmnpqrstuvwxyz22"), Some("m_1"))
        );
        assert!(read[0].detail.contains("550 5.1.1"));
        let soft = json!({ "eventType": "Bounce", "bounce": { "bounceType": "Transient", "bouncedRecipients": [{ "emailAddress": "full@example.com" }] }, "mail": {} });
        assert!(!from_ses_event(&soft)[0].permanent);
        let complaint = json!({ "eventType": "Complaint", "complaint": { "complainedRecipients": [{ "emailAddress": "angry@example.com" }] }, "mail": {} });
        assert_eq!(from_ses_event(&complaint)[0].kind, FeedbackKind::Complaint);
        assert!(from_ses_event(&json!({ "eventType": "Delivery" })).is_empty());
    }
}
