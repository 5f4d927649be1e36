//! Who stands where on a ticket. Everything a caller may see or do follows from one answer:
//! the support side, the customer side, or nothing at all (which the API reports as 404,
//! so ticket ids cannot be probed).

use super::lifecycle::{Desk, Side};
use super::roles::{Identity, Standing};
use super::ticket::Ticket;

/// The caller's side on this ticket, or `None` when they must not know it exists.
///
/// - Vendor agents work every company's vendor-desk tickets, and never see internal ones.
/// - A company admin is the first level of support for the company's internal tickets, and
///   a customer on its vendor tickets.
/// - Every other user of the company is a customer on the company's tickets.
/// - A collaborator (added by email) is a customer on that one ticket.
pub fn side_on(who: &Identity, ticket: &Ticket, is_collaborator: bool) -> Option<Side> {
    match who.standing() {
        Standing::Agent if ticket.lifecycle.desk == Desk::Vendor => Some(Side::Support),
        Standing::ClientAdmin if who.company == ticket.company => Some(match ticket.lifecycle.desk {
            Desk::Internal => Side::Support,
            Desk::Vendor => Side::Customer,
        }),
        Standing::ClientUser if who.company == ticket.company => Some(Side::Customer),
        _ if is_collaborator => Some(Side::Customer),
        _ => None,
    }
}

/// Internal notes are for the support side alone.
pub fn sees_internal_notes(side: Side) -> bool {
    side == Side::Support
}

/// Collaborators may view and reply, not invite others; everyone else on the ticket may.
pub fn may_add_collaborators(who: &Identity, ticket: &Ticket) -> bool {
    side_on(who, ticket, false).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalogue::Catalogue;
    use crate::domain::roles::Role;
    use crate::domain::ticket::TicketDraft;
    use chrono::Utc;

    fn who(company: &str, role: Role) -> Identity {
        Identity {
            user_id: format!("{company}-{role:?}"),
            email: format!("{role:?}@{company}.test").to_lowercase(),
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
            "t1".into(),
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
}
