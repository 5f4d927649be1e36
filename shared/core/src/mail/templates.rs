//! One template per mail kind, text and HTML, under `templates/mail/`. They are compiled
//! into the binary (a Lambda function has no template folder) and rendered with
//! `minijinja`, which escapes every value in the `.html` files: a ticket subject holding
//! `<script>` arrives as text in the mail, never as markup.
//!
//! The first line of each `.txt` template is `Subject: …`; the rest is the text body.

use crate::slugs::slug_enum;
use minijinja::Environment;
use serde::Serialize;
use std::sync::OnceLock;

slug_enum! {
    /// Every kind of mail Claimdesk sends; each has a `<slug>.txt` and a `<slug>.html`
    /// template.
    MailKind {
        TicketReceived = "ticket_received",
        InternalTicket = "internal_ticket",
        VendorTicket = "vendor_ticket",
        UrgentTicket = "urgent_ticket",
        Escalated = "escalated",
        Reply = "reply",
        StatusChanged = "status_changed",
        WaitingReminder = "waiting_reminder",
        CloseReminder = "close_reminder",
        CollaboratorInvite = "collaborator_invite",
        FilesNotKept = "files_not_kept",
        // To the agent or queue working a ticket (and on-call for urgent breaches).
        SlaWarning = "sla_warning",
        SlaBreached = "sla_breached",
        // About an account, not a ticket: no reply address, no reply marker.
        Invitation = "invitation",
        PasswordReset = "password_reset",
        AccountExists = "account_exists",
        AccessRequested = "access_requested",
        AccessApproved = "access_approved",
        AccessRejected = "access_rejected",
        EmailConfirm = "email_confirm",
        EmailChangeNotice = "email_change_notice",
        // About a warranty claim or an RMA: no reply address yet (the claim's conversation
        // by mail is not built), so the account layout.
        ClaimUpdated = "claim_updated",
        RmaIssued = "rma_issued",
        RmaUpdated = "rma_updated",
    }
}

impl MailKind {
    /// Whether the mail shows a date (rendered in the recipient's date format).
    pub fn shows_dates(self) -> bool {
        matches!(
            self,
            MailKind::WaitingReminder
                | MailKind::CloseReminder
                | MailKind::AccessRequested
                | MailKind::SlaWarning
                | MailKind::SlaBreached
        )
    }

    /// Whether the mail is about a ticket (threaded, answerable by reply) rather than an
    /// account (the `_account` layout: nothing to reply to).
    pub fn is_about_a_ticket(self) -> bool {
        !matches!(
            self,
            MailKind::Invitation
                | MailKind::PasswordReset
                | MailKind::AccountExists
                | MailKind::AccessRequested
                | MailKind::AccessApproved
                | MailKind::AccessRejected
                | MailKind::EmailConfirm
                | MailKind::EmailChangeNotice
                | MailKind::ClaimUpdated
                | MailKind::RmaIssued
                | MailKind::RmaUpdated
        )
    }
}

/// Printed at the top of every mail; inbound replies are cut where it reappears quoted.
pub const REPLY_MARKER: &str = "##- Please type your reply above this line -##";

macro_rules! templates {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../../templates/mail/", $name)))),*]
    };
}

const SOURCES: &[(&str, &str)] = templates![
    "_layout.html",
    "_summary.html",
    "_summary.txt",
    "_footer.txt",
    "ticket_received.txt",
    "ticket_received.html",
    "internal_ticket.txt",
    "internal_ticket.html",
    "vendor_ticket.txt",
    "vendor_ticket.html",
    "urgent_ticket.txt",
    "urgent_ticket.html",
    "escalated.txt",
    "escalated.html",
    "reply.txt",
    "reply.html",
    "status_changed.txt",
    "status_changed.html",
    "waiting_reminder.txt",
    "waiting_reminder.html",
    "close_reminder.txt",
    "close_reminder.html",
    "collaborator_invite.txt",
    "collaborator_invite.html",
    "files_not_kept.txt",
    "files_not_kept.html",
    "sla_warning.txt",
    "sla_warning.html",
    "sla_breached.txt",
    "sla_breached.html",
    "_account.html",
    "_account_footer.txt",
    "invitation.txt",
    "invitation.html",
    "password_reset.txt",
    "password_reset.html",
    "account_exists.txt",
    "account_exists.html",
    "access_requested.txt",
    "access_requested.html",
    "access_approved.txt",
    "access_approved.html",
    "access_rejected.txt",
    "access_rejected.html",
    "email_confirm.txt",
    "email_confirm.html",
    "email_change_notice.txt",
    "email_change_notice.html",
    "claim_updated.txt",
    "claim_updated.html",
    "rma_issued.txt",
    "rma_issued.html",
    "rma_updated.txt",
    "rma_updated.html",
];

fn environment() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        // Text mail keeps its line breaks exactly as written in the template.
        env.set_keep_trailing_newline(true);
        env.add_filter("when", when);
        for (name, source) in SOURCES {
            // The sources are compiled in and checked by this module's tests.
            if let Err(e) = env.add_template(name, source) {
                tracing::error!(template = name, error = %e, "mail template does not compile");
            }
        }
        env
    })
}

/// `{{ moment | when(date_format) }}`: an RFC 3339 moment as the recipient's date format
/// shows it (`people::DateFormat`; ISO when they have none), with the time of day in UTC.
/// Anything else passes as it is (mail queued by an earlier release, already formatted).
fn when(moment: String, format: Option<String>) -> String {
    let format = format
        .as_deref()
        .and_then(crate::domain::people::DateFormat::from_slug)
        .unwrap_or_default();
    match chrono::DateTime::parse_from_rfc3339(&moment) {
        Ok(at) => format.show(at.with_timezone(&chrono::Utc), true),
        Err(_) => moment,
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

#[derive(Debug, thiserror::Error)]
#[error("mail template {kind}: {detail}")]
pub struct TemplateError {
    pub kind: String,
    pub detail: String,
}

/// Renders the kind's subject line, text and HTML from one context.
pub fn render<C: Serialize>(kind: MailKind, context: &C) -> Result<Rendered, TemplateError> {
    let env = environment();
    let fail = |detail: String| TemplateError {
        kind: kind.to_string(),
        detail,
    };
    let value = minijinja::Value::from_serialize(context);
    let context = minijinja::context! { reply_marker => REPLY_MARKER, ..value };
    let text = env
        .get_template(&format!("{kind}.txt"))
        .and_then(|t| t.render(&context))
        .map_err(|e| fail(e.to_string()))?;
    let html = env
        .get_template(&format!("{kind}.html"))
        .and_then(|t| t.render(&context))
        .map_err(|e| fail(e.to_string()))?;
    let (first, body) = text.split_once('\n').unwrap_or((text.as_str(), ""));
    let subject = first
        .strip_prefix("Subject:")
        .ok_or_else(|| fail("the text template must start with `Subject:`".into()))?;
    let body = body.trim_start_matches('\n');
    Ok(Rendered {
        subject: one_line(subject),
        text: if kind.is_about_a_ticket() {
            format!("{REPLY_MARKER}\n\n{body}")
        } else {
            body.to_string()
        },
        html,
    })
}

/// The kind's subject line alone (what a mail's record shows before the mail is rendered
/// for sending): the first line of its text template.
pub fn subject<C: Serialize>(kind: MailKind, context: &C) -> Result<String, TemplateError> {
    let fail = |detail: String| TemplateError {
        kind: kind.to_string(),
        detail,
    };
    let name = format!("{kind}.txt");
    let source = SOURCES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, source)| *source)
        .ok_or_else(|| fail("no text template".into()))?;
    let first = source.lines().next().unwrap_or_default();
    let line = first
        .strip_prefix("Subject:")
        .ok_or_else(|| fail("the text template must start with `Subject:`".into()))?;
    let rendered = environment()
        .render_str(line, minijinja::Value::from_serialize(context))
        .map_err(|e| fail(e.to_string()))?;
    Ok(one_line(&rendered))
}

/// A header value: control characters (CR and LF above all) become spaces, so nothing a
/// user typed can add a header.
pub fn one_line(text: &str) -> String {
    let cleaned: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    cleaned.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn context(subject: &str) -> serde_json::Value {
        json!({
            "ticket": {
                "number": "ACME-000123", "subject": subject, "status": "New",
                "contact_name": "Ada", "contact_email": "ada@acme.test", "company": "ACME",
                "type": "claim_issue", "priority": "high", "claims": "CMS 1001",
                "description": "It <b>fails</b>",
            },
            "link": "https://portal.test/v1/tickets/t_1",
            "guest_link": "https://portal.test/portal/guest/t_1#key=k",
            "company_name": "ACME Inc", "author": "Sam <support>", "body": "<img src=x onerror=alert(1)>",
            "status_label": "Resolved", "status_text": "Done.", "reminder_number": 1,
            "resolves_at": "2026-11-10T09:00:00Z", "closes_at": "2026-11-10T09:00:00Z",
            "inviter": "Owner", "metric_label": "first response", "due_at": "2026-11-10T09:00:00Z",
            "percent": 75,
        })
    }

    fn ticket_kinds() -> impl Iterator<Item = MailKind> {
        MailKind::ALL.iter().copied().filter(|k| k.is_about_a_ticket())
    }

    fn account_context(name: &str) -> serde_json::Value {
        json!({
            "name": name, "email": "ann@acme.test", "company_name": "ACME <Inc>",
            "inviter": "Olga Owner", "link": "https://portal.test/portal/set-password#token=abc",
            "days": 7, "minutes": 60, "hours": 24, "expires": "2026-12-17",
            "old_email": "old@acme.test", "new_email": "new@acme.test",
            "message": "<b>Ask your manager</b>",
            "request": { "name": name, "email": "ann@acme.test", "phone": "+1 555", "need": "Claims <script>" },
            "claim": { "id": "wc_1", "serial": "SN-1 <b>", "state": "information_requested",
                       "why": "<b>Ask</b> for the invoice", "currency": "USD", "claimed": "257.00", "approved": "0.00" },
            "rma": { "number": "ACME-RMA-000123", "serial": "SN-1", "state": "shipped", "why": "shipped <b>",
                     "instructions": "Dock <b>4</b>", "carrier": "UPS", "tracking_number": "1Z",
                     "lines": [{"part_number": "IMP-9", "description": "Impeller <i>", "quantity": 2}] },
        })
    }

    #[test]
    fn every_account_kind_renders_without_a_reply_marker_and_escapes_in_html() {
        for kind in MailKind::ALL.iter().copied().filter(|k| !k.is_about_a_ticket()) {
            let mail = render(kind, &account_context("Ann <script>")).unwrap();
            assert_eq!(
                subject(kind, &account_context("Ann <script>")).unwrap(),
                mail.subject,
                "{kind}"
            );
            assert!(
                !mail.text.contains(REPLY_MARKER) && !mail.html.contains(REPLY_MARKER),
                "{kind}"
            );
            assert!(mail.html.contains("<html") && !mail.html.contains("<script>"), "{kind}");
            assert!(!mail.html.contains("<b>Ask"), "{kind}");
            assert!(mail.text.contains("Replies to it are not read"), "{kind}");
        }
        let invitation = render(MailKind::Invitation, &account_context("Ann")).unwrap();
        assert!(invitation
            .text
            .contains("https://portal.test/portal/set-password#token=abc"));
        let subject = render(MailKind::AccessRequested, &account_context("Ann\r\nBcc: x@y.test"))
            .unwrap()
            .subject;
        assert!(!subject.contains('\n') && !subject.contains('\r'));
    }

    #[test]
    fn every_kind_renders_a_subject_text_and_html() {
        for kind in ticket_kinds() {
            let mail = render(kind, &context("Claim will not save")).unwrap();
            assert!(mail.subject.contains("Claim will not save"), "{kind}: {}", mail.subject);
            assert_eq!(
                subject(kind, &context("Claim will not save")).unwrap(),
                mail.subject,
                "{kind}"
            );
            assert!(mail.text.starts_with(REPLY_MARKER), "{kind}");
            assert!(
                mail.text.contains("ACME-000123") || mail.text.contains("Claim will not save"),
                "{kind}"
            );
            assert!(mail.html.contains("<html"), "{kind}");
            assert!(mail.html.contains(REPLY_MARKER), "{kind}");
        }
    }

    #[test]
    fn html_escapes_what_users_wrote_and_text_keeps_it() {
        for kind in ticket_kinds() {
            let mail = render(kind, &context("<script>alert('x')</script>")).unwrap();
            assert!(!mail.html.contains("<script>"), "{kind}");
            assert!(!mail.html.contains("<img src=x"), "{kind}");
            assert!(!mail.html.contains("<b>fails"), "{kind}");
            assert!(mail.html.contains("&lt;script&gt;"), "{kind}");
        }
        let reply = render(MailKind::Reply, &context("s")).unwrap();
        assert!(reply.text.contains("<img src=x onerror=alert(1)>"));
    }

    #[test]
    fn dates_follow_the_recipients_format_and_anything_else_passes() {
        let mut context = context("s");
        let mail = render(MailKind::WaitingReminder, &context).unwrap();
        assert!(mail.text.contains("2026-11-10 09:00 UTC"), "ISO without a preference");
        context["date_format"] = json!("us");
        let mail = render(MailKind::WaitingReminder, &context).unwrap();
        assert!(mail.text.contains("11/10/2026 09:00 UTC"), "{}", mail.text);
        context["date_format"] = json!("long");
        assert!(render(MailKind::CloseReminder, &context)
            .unwrap()
            .text
            .contains("10 November 2026 09:00 UTC"));
        context["resolves_at"] = json!("2026-11-10 09:00 UTC");
        assert!(render(MailKind::WaitingReminder, &context)
            .unwrap()
            .text
            .contains("2026-11-10 09:00 UTC"));
    }

    #[test]
    fn subjects_are_one_line_whatever_was_typed() {
        let mail = render(MailKind::Reply, &context("a\r\nBcc: victim@example.com")).unwrap();
        assert!(!mail.subject.contains('\r') && !mail.subject.contains('\n'));
        assert_eq!(one_line(" a\r\n b\tc "), "a b c");
    }
}
