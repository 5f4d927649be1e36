//! Who stands where on a ticket. Everything a caller may see or do follows from one answer:
//! the support side, the customer side, or nothing at all (which the API reports as 404,
//! so ticket ids cannot be probed).

use super::lifecycle::{Desk, Side};
use super::roles::{Identity, Standing};
use super::ticket::{Attachment, Message, Ticket};

/// The caller's side on this ticket, or `None` when they must not know it exists.
///
/// - Vendor agents work every company's vendor-desk tickets, and never see internal ones.
/// - A company admin is the first level of support for the company's internal tickets, and
///   a customer on its vendor tickets.
/// - Every other user of the company is a customer on the company's tickets.
/// - A collaborator (added by email) is a customer on that one ticket.
pub fn side_on(who: &Identity, ticket: &Ticket, is_collaborator: bool) -> Option<Side> {
    side_for(who, &ticket.company, ticket.lifecycle.desk, is_collaborator)
}

/// The same answer from the two facts it rests on: the ticket's company and desk (a list
/// decides from the listing its index holds, without the ticket).
pub fn side_for(who: &Identity, company: &str, desk: Desk, is_collaborator: bool) -> Option<Side> {
    match who.standing() {
        Standing::Agent if desk == Desk::Vendor => Some(Side::Support),
        Standing::ClientAdmin if *who.company == *company => Some(match desk {
            Desk::Internal => Side::Support,
            Desk::Vendor => Side::Customer,
        }),
        Standing::ClientUser if *who.company == *company => Some(Side::Customer),
        _ if is_collaborator => Some(Side::Customer),
        _ => None,
    }
}

/// Internal notes are for the support side alone.
pub fn sees_internal_notes(side: Side) -> bool {
    side == Side::Support
}

/// Whether a reader on `side` may see (and download) a ticket's file. The customer side
/// sees what it sent itself, and support's files once a public reply names them; a file
/// named only by internal notes, or by nothing yet, stays with support (so an agent's upload
/// never reaches the customer in the moment before the note that names it is written).
pub fn sees_attachment(side: Side, attachment: &Attachment, messages: &[Message]) -> bool {
    sees_internal_notes(side)
        || attachment.uploaded_side != Side::Support
        || messages
            .iter()
            .any(|m| !m.internal && m.attachment_ids.contains(&attachment.id))
}

/// Which files a message may name: support any of the ticket's, the customer side only its
/// own (naming support's file in a public reply must not publish it).
pub fn may_name_attachment(side: Side, attachment: &Attachment) -> bool {
    sees_internal_notes(side) || attachment.uploaded_side != Side::Support
}

/// Collaborators may view and reply, not invite others; everyone else on the ticket may.
pub fn may_add_collaborators(who: &Identity, ticket: &Ticket) -> bool {
    side_on(who, ticket, false).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalogue::Catalogue;
    use crate::domain::ids::TicketId;
    use crate::domain::roles::Role;
    use crate::domain::ticket::TicketDraft;
    use chrono::Utc;

    fn who(company: &str, role: Role) -> Identity {
        Identity {
            user_id: format!("{company}-{role:?}").into(),
            email: format!("{role:?}@{company}.test").to_lowercase().into(),
            name: Some("N".into()),
            company: company.into(),
            roles: vec![role],
        }
    }

    fn ticket(desk: Desk) -> Ticket {
        let owner = who("ACME", Role::Owner);
        let draft = TicketDraft {
            desk: Some(desk),
            ticket_type: Some("support".into()),
            subject: Some("s".into()),
            description: Some("d".into()),
            ..Default::default()
        };
        draft.validate(&owner, &Catalogue::defaults()).unwrap().into_ticket(
            TicketId::parse("t_abcdefghijkmnpqrstuvwxyz23").unwrap(),
            "ACME-000001".into(),
            &owner,
            Utc::now(),
        )
    }

    #[test]
    fn sides_follow_desk_company_and_collaboration() {
        let internal = ticket(Desk::Internal);
        let vendor = ticket(Desk::Vendor);
        let agent = who("VENDOR", Role::AgentL1);
        let admin = who("ACME", Role::Administrator);
        let user = who("ACME", Role::Adjuster);
        let stranger = who("OTHER", Role::Owner);
        assert_eq!(side_on(&agent, &internal, false), None);
        assert_eq!(side_on(&agent, &vendor, false), Some(Side::Support));
        assert_eq!(side_on(&admin, &internal, false), Some(Side::Support));
        assert_eq!(side_on(&admin, &vendor, false), Some(Side::Customer));
        assert_eq!(side_on(&user, &internal, false), Some(Side::Customer));
        assert_eq!(side_on(&stranger, &vendor, false), None);
        assert_eq!(side_on(&stranger, &vendor, true), Some(Side::Customer));
        assert!(!may_add_collaborators(&stranger, &vendor));
    }

    fn file(id: &str, uploaded_side: Side) -> Attachment {
        Attachment {
            id: id.into(),
            ticket_id: TicketId::parse("t_abcdefghijkmnpqrstuvwxyz23").unwrap(),
            filename: "f.txt".into(),
            content_type: "text/plain".into(),
            declared_size: 1,
            size: Some(1),
            state: crate::domain::ticket::AttachmentState::Stored,
            uploaded_by: "x@y.test".into(),
            uploaded_side,
            blob_key: "k".into(),
            upload_token_hash: String::new(),
            created_at: Utc::now(),
        }
    }

    fn note(internal: bool, ids: &[&str]) -> Message {
        Message {
            id: "m".into(),
            ticket_id: TicketId::parse("t_abcdefghijkmnpqrstuvwxyz23").unwrap(),
            author: "a@v.test".into(),
            author_name: None,
            side: Side::Support,
            internal,
            body: "b".into(),
            attachment_ids: ids.iter().map(|s| s.to_string()).collect(),
            created_at: Utc::now(),
        }
    }

    #[test]
    fn files_of_internal_notes_stay_on_the_support_side() {
        let theirs = file("a1", Side::Customer);
        let ours = file("a2", Side::Support);
        // Nobody named them yet: the customer's own file is theirs, support's is not yet.
        assert!(sees_attachment(Side::Customer, &theirs, &[]));
        assert!(!sees_attachment(Side::Customer, &ours, &[]));
        assert!(sees_attachment(Side::Support, &ours, &[]));
        // Named only by internal notes: support's file stays internal; the customer keeps
        // seeing what they sent.
        let notes = [note(true, &["a1", "a2"])];
        assert!(sees_attachment(Side::Customer, &theirs, &notes));
        assert!(!sees_attachment(Side::Customer, &ours, &notes));
        assert!(sees_attachment(Side::Support, &ours, &notes));
        // Once a public reply names it, it is public.
        let both = [note(true, &["a2"]), note(false, &["a2"])];
        assert!(sees_attachment(Side::Customer, &ours, &both));
        // The customer side cannot publish support's file by naming it.
        assert!(!may_name_attachment(Side::Customer, &ours));
        assert!(may_name_attachment(Side::Customer, &theirs));
        assert!(may_name_attachment(Side::Support, &theirs));
    }
}
