//! Every kind of problem the API answers with, in one place. Each is a stable type
//! `urn:claimdesk:problem:<slug>` that clients may switch on; the OpenAPI document lists
//! them all (a unit test holds the list and the document equal).

use crate::slugs::slug_enum;

slug_enum! {
    /// A problem's stable type.
    ProblemKind {
        // Bad requests and bad input.
        MalformedBody = "malformed-body",
        IdempotencyKey = "idempotency-key",
        Validation = "validation",
        IdempotencyKeyReused = "idempotency-key-reused",
        BodyTooLarge = "body-too-large",
        AttachmentLimit = "attachment-limit",
        // Who may do what.
        Unauthenticated = "unauthenticated",
        NotAllowed = "not-allowed",
        StaffOnly = "staff-only",
        NotYourSide = "not-your-side",
        NotesAreInternal = "notes-are-internal",
        CollaboratorsCannotInvite = "collaborators-cannot-invite",
        VendorTicketNeedsAdmin = "vendor-ticket-needs-admin",
        AccountManagement = "account-management",
        ManagersOnly = "managers-only",
        OwnAccount = "own-account",
        NotFound = "not-found",
        MethodNotAllowed = "method-not-allowed",
        // The state of things.
        ConcurrentUpdate = "concurrent-update",
        TransitionNotAllowed = "transition-not-allowed",
        Lifecycle = "lifecycle",
        TicketClosed = "ticket-closed",
        AlreadyExists = "already-exists",
        AlreadyRegistered = "already-registered",
        LastOwner = "last-owner",
        AlreadyDecided = "already-decided",
        UploadUsed = "upload-used",
        AttachmentPending = "attachment-pending",
        // Load and faults.
        RateLimited = "rate-limited",
        Unavailable = "unavailable",
        Internal = "internal",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_unique_lowercase_words() {
        let mut slugs: Vec<&str> = ProblemKind::ALL.iter().map(|k| k.slug()).collect();
        assert!(slugs
            .iter()
            .all(|s| s.chars().all(|c| c.is_ascii_lowercase() || c == '-')));
        slugs.sort();
        slugs.dedup();
        assert_eq!(slugs.len(), ProblemKind::ALL.len());
    }
}
