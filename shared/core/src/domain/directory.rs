//! The directory's rules (seed 000: only Owner, Administrator and Human Resources manage a
//! company's accounts; staff see every company, the staff admin manages staff too): who
//! may list and change whose account, which roles fit which company, what a change of
//! roles or state may not do (raise one's own roles, leave a company without an active
//! Owner), what each change keeps, and the public access request (seeds 002, 003).

use crate::domain::ids::{CompanyCode, Email, UserId};
use crate::domain::people::{User, UserState, VENDOR};
use crate::domain::roles::{Identity, Role};
use crate::domain::validate::{self, Invalid};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// How long an invitation's set-password link holds.
pub const INVITATION_DAYS: i64 = 7;
/// How long a password-reset link holds.
pub const RESET_MINUTES: i64 = 60;
/// How long a link confirming a new email address holds.
pub const EMAIL_CONFIRMATION_HOURS: i64 = 24;
/// How long an access request waits for a decision before it lapses.
pub const ACCESS_REQUEST_DAYS: i64 = 14;
/// Longest free text of an access request ("what do you need").
pub const NEED_MAX_CHARS: usize = 2_000;
/// Longest message of a rejection.
pub const MESSAGE_MAX_CHARS: usize = 2_000;

/// Whether `actor` may see the people of `company`: staff see every company; a company's
/// account managers see their own.
pub fn may_list(actor: &Identity, company: &str) -> bool {
    actor.is_agent() || manages_own(actor, company)
}

/// Whether `actor` may invite, change or deactivate the people of `company`: the staff
/// admin anywhere (staff included); a company's account managers in their own company.
pub fn may_manage(actor: &Identity, company: &str) -> bool {
    actor.roles.contains(&Role::StaffAdmin) || (company != VENDOR && manages_own(actor, company))
}

/// Whether `actor` may approve or reject an access request to `company`: any of the
/// vendor's staff, or the company's account managers.
pub fn may_decide(actor: &Identity, company: &str) -> bool {
    actor.is_agent() || manages_own(actor, company)
}

/// Whether `actor` may give these roles: only an Owner (or staff) makes someone an Owner.
pub fn may_grant(actor: &Identity, roles: &[Role]) -> Result<(), Invalid> {
    let owner_or_staff = actor.is_agent() || actor.roles.contains(&Role::Owner);
    if roles.contains(&Role::Owner) && !owner_or_staff {
        return Err(Invalid::new("roles", "only an Owner or staff make someone an Owner"));
    }
    Ok(())
}

fn manages_own(actor: &Identity, company: &str) -> bool {
    actor.company.as_str() == company && actor.roles.iter().any(|r| r.manages_accounts())
}

/// Roles for a user of `company`, from their names: at least one, each known, the vendor's
/// staff roles for the vendor and client roles for everyone else. Sorted, without repeats.
pub fn roles_for(field: &str, names: Option<&[String]>, company: &str) -> Result<Vec<Role>, Invalid> {
    let names = names.unwrap_or_default();
    if names.is_empty() {
        return Err(Invalid::new(field, "name at least one role"));
    }
    if names.len() > Role::ALL.len() {
        return Err(Invalid::new(field, "names too many roles"));
    }
    let mut roles = Vec::with_capacity(names.len());
    for name in names {
        let role = Role::parse(name).ok_or_else(|| Invalid::new(field, format!("`{}` is not a role", short(name))))?;
        let staff = company == VENDOR;
        if role.is_agent() != staff {
            let which = if staff { "staff" } else { "client" };
            return Err(Invalid::new(field, format!("{} is not a {which} role", role.as_str())));
        }
        roles.push(role);
    }
    roles.sort_by_key(|r| r.as_str());
    roles.dedup();
    Ok(roles)
}

/// A name that came from outside, cut short for a message.
fn short(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).take(40).collect()
}

/// `POST /v1/users`: invite someone to a company (the caller's own, unless staff name one).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteDraft {
    #[schema(required, schema_with = validate::schemas::email)]
    pub email: Option<String>,
    #[schema(required, value_type = String, min_length = 1, max_length = 120, pattern = "\\S")]
    pub name: Option<String>,
    /// Role names: client roles for a client company, `agent_l1`, `agent_l2` or
    /// `staff_admin` for the vendor's staff.
    #[schema(required, min_items = 1, max_items = 16)]
    pub roles: Option<Vec<String>>,
    /// The company to invite to: staff only; everyone else invites to their own.
    #[schema(schema_with = validate::schemas::company_code)]
    pub company: Option<String>,
}

/// A valid invitation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    pub email: Email,
    pub name: String,
    pub roles: Vec<Role>,
    pub company: CompanyCode,
}

impl InviteDraft {
    /// The company invited to: the one named (staff), else the actor's own.
    pub fn company(&self, actor: &Identity) -> Result<String, Invalid> {
        match &self.company {
            Some(code) if actor.is_agent() => validate::code("company", Some(code), 12),
            Some(code) if !code.trim().eq_ignore_ascii_case(actor.company.as_str()) => {
                Err(Invalid::new("company", "only staff invite to another company"))
            }
            _ => Ok(actor.company.to_string()),
        }
    }

    pub fn validate(&self, actor: &Identity) -> Result<Invitation, Invalid> {
        let email = Email::new(validate::email("email", self.email.as_deref())?);
        let name = person_name("name", self.name.as_deref())?;
        let company = self.company(actor)?;
        let roles = roles_for("roles", self.roles.as_deref(), &company)?;
        may_grant(actor, &roles)?;
        Ok(Invitation {
            email,
            name,
            roles,
            company: CompanyCode::new(company),
        })
    }
}

/// A person's name as it reaches mail and pages: one line, no angle brackets or quotes
/// that a mail client could take for an address.
pub fn person_name(field: &str, value: Option<&str>) -> Result<String, Invalid> {
    let name = validate::line(field, value, 120)?;
    if name.chars().any(|c| "<>\"@".contains(c)) {
        return Err(Invalid::new(field, "must not contain <, >, \" or @"));
    }
    Ok(name)
}

/// `PATCH /v1/users/{id}`: what to change of a user (at least one of them).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    /// The user's roles from now on (all of them).
    #[schema(min_items = 1, max_items = 16)]
    pub roles: Option<Vec<String>>,
    /// `active` or `deactivated`.
    pub state: Option<UserState>,
}

/// What may not be done to an account, whoever asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatchRefusal {
    Invalid(Invalid),
    /// Adding to one's own roles, or deactivating oneself.
    OwnAccount(&'static str),
    /// The company's last active Owner would lose the role or be deactivated.
    LastOwner,
}

impl From<Invalid> for PatchRefusal {
    fn from(e: Invalid) -> Self {
        PatchRefusal::Invalid(e)
    }
}

/// One change of an account, kept for the company's account managers: who changed whom,
/// when, what, from what to what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AccountChange {
    pub id: String,
    pub at: DateTime<Utc>,
    pub company: CompanyCode,
    /// Who made the change (their email; the system's own changes say `claimdesk`).
    pub by: String,
    pub user_id: UserId,
    pub user_email: Email,
    /// `invited`, `roles`, `state` or `password`.
    pub what: String,
    pub from: String,
    pub to: String,
}

/// One field of an account that a change moved: what, from, to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    pub what: &'static str,
    pub from: String,
    pub to: String,
}

/// The user after `patch`, and the changes it makes, or why it may not be made.
/// `active_owners` is how many active Owners the user's company has now.
pub fn apply_patch(
    actor: &Identity,
    user: &User,
    patch: &UserPatch,
    active_owners: usize,
    now: DateTime<Utc>,
) -> Result<(User, Vec<FieldChange>), PatchRefusal> {
    if patch.roles.is_none() && patch.state.is_none() {
        return Err(Invalid::new("roles", "send roles, state or both").into());
    }
    let own = actor.user_id == user.id;
    let mut after = user.clone();
    let mut changes = Vec::new();
    if let Some(names) = &patch.roles {
        let roles = roles_for("roles", Some(names), &user.company)?;
        if own && roles.iter().any(|r| !user.roles.contains(r)) {
            return Err(PatchRefusal::OwnAccount("nobody can add to their own roles"));
        }
        if !user.roles.contains(&Role::Owner) {
            may_grant(actor, &roles)?;
        }
        if roles != user.roles {
            changes.push(FieldChange {
                what: "roles",
                from: role_list(&user.roles),
                to: role_list(&roles),
            });
            after.roles = roles;
        }
    }
    if let Some(state) = patch.state {
        let next = match (user.state, state) {
            (_, UserState::Invited) => {
                return Err(Invalid::new("state", "must be active or deactivated").into());
            }
            (UserState::Deactivated, UserState::Active) => {
                // Back to where they were: someone who never set a password is invited still.
                if user.activated_at.is_some() {
                    UserState::Active
                } else {
                    UserState::Invited
                }
            }
            (current, UserState::Active) => current,
            (_, UserState::Deactivated) => UserState::Deactivated,
        };
        if own && next == UserState::Deactivated {
            return Err(PatchRefusal::OwnAccount("nobody can deactivate their own account"));
        }
        if next != user.state {
            changes.push(FieldChange {
                what: "state",
                from: state_name(user.state),
                to: state_name(next),
            });
            after.state = next;
        }
    }
    let was_owner = user.state == UserState::Active && user.roles.contains(&Role::Owner);
    let is_owner = after.state == UserState::Active && after.roles.contains(&Role::Owner);
    if user.company.as_str() != VENDOR && was_owner && !is_owner && active_owners <= 1 {
        return Err(PatchRefusal::LastOwner);
    }
    if !changes.is_empty() {
        after.updated_at = now;
    }
    Ok((after, changes))
}

pub fn role_list(roles: &[Role]) -> String {
    roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ")
}

pub fn state_name(state: UserState) -> String {
    match state {
        UserState::Invited => "invited",
        UserState::Active => "active",
        UserState::Deactivated => "deactivated",
    }
    .to_string()
}

/// What a set-password link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkPurpose {
    /// An invitation or an approved access request: the first password.
    Welcome,
    /// A forgotten password.
    Reset,
    /// A new email address, confirmed from a mail to it (not a password link).
    ConfirmEmail,
}

/// A single-use link, kept under the SHA-256 of its secret until it expires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordLink {
    pub user_id: UserId,
    pub purpose: LinkPurpose,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    #[serde(default)]
    pub used_at: Option<DateTime<Utc>>,
    /// The address a `ConfirmEmail` link moves the account to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_email: Option<Email>,
}

impl PasswordLink {
    pub fn new(user_id: UserId, purpose: LinkPurpose, now: DateTime<Utc>) -> PasswordLink {
        let lasts = match purpose {
            LinkPurpose::Welcome => Duration::days(INVITATION_DAYS),
            LinkPurpose::Reset => Duration::minutes(RESET_MINUTES),
            LinkPurpose::ConfirmEmail => Duration::hours(EMAIL_CONFIRMATION_HOURS),
        };
        PasswordLink {
            user_id,
            purpose,
            created_at: now,
            expires_at: now + lasts,
            used_at: None,
            new_email: None,
        }
    }

    pub fn usable_at(&self, now: DateTime<Utc>) -> bool {
        self.used_at.is_none() && now < self.expires_at
    }
}

/// `POST /v1/passwords`: a new password through a mailed link.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetPasswordRequest {
    /// The secret from the link.
    #[schema(required, value_type = String, min_length = 1, max_length = 128)]
    pub token: Option<String>,
    #[schema(required, value_type = String, min_length = 12, max_length = 256)]
    pub password: Option<String>,
}

/// `POST /v1/password-resets`: mail me a link to choose a new password.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    #[schema(required, schema_with = validate::schemas::email)]
    pub email: Option<String>,
}

/// What the public forms answer, whatever happened: nothing that tells whether an email
/// has an account.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Accepted {
    pub accepted: bool,
    pub detail: String,
}

/// Where an access request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RequestState {
    Pending,
    Approved,
    Rejected,
}

/// `POST /v1/access-requests`: the public form (seeds 002, 003).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccessRequestDraft {
    #[schema(required, value_type = String, min_length = 1, max_length = 120, pattern = "\\S")]
    pub name: Option<String>,
    #[schema(required, schema_with = validate::schemas::email)]
    pub email: Option<String>,
    #[schema(required, schema_with = validate::schemas::company_code)]
    pub company: Option<String>,
    #[schema(value_type = Option<String>, max_length = 40)]
    pub phone: Option<String>,
    /// What they need access for.
    #[schema(required, value_type = String, min_length = 1, max_length = 2000, pattern = "\\S")]
    pub need: Option<String>,
}

/// An access request as kept (and as its deciders see it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AccessRequest {
    pub id: String,
    pub name: String,
    pub email: Email,
    pub company: CompanyCode,
    /// Whether the company was registered when the request came (else staff decide).
    pub known_company: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    pub need: String,
    pub state: RequestState,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<Email>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The roles an approval gave, and the account it made.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<String>)]
    pub roles: Vec<Role>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<UserId>,
}

impl AccessRequestDraft {
    pub fn validate(&self, id: String, known_company: bool, now: DateTime<Utc>) -> Result<AccessRequest, Invalid> {
        let phone = validate::optional_line("phone", self.phone.as_deref(), 40)?;
        if let Some(phone) = &phone {
            if !phone.chars().all(|c| c.is_ascii_digit() || " +-().x".contains(c)) {
                return Err(Invalid::new("phone", "must hold only digits, spaces and + - ( ) . x"));
            }
        }
        Ok(AccessRequest {
            id,
            name: person_name("name", self.name.as_deref())?,
            email: Email::new(validate::email("email", self.email.as_deref())?),
            company: CompanyCode::new(validate::code("company", self.company.as_deref(), 12)?),
            known_company,
            phone,
            need: validate::text("need", self.need.as_deref(), NEED_MAX_CHARS)?,
            state: RequestState::Pending,
            created_at: now,
            expires_at: now + Duration::days(ACCESS_REQUEST_DAYS),
            decided_by: None,
            decided_at: None,
            message: None,
            roles: Vec::new(),
            user_id: None,
        })
    }

    /// The company code alone (checked as `validate` checks it), to look the company up
    /// before the whole request is built.
    pub fn company_code(&self) -> Result<String, Invalid> {
        validate::code("company", self.company.as_deref(), 12)
    }
}

/// Approve or reject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Approve,
    Reject,
}

/// `POST /v1/access-requests/{id}/decision`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionDraft {
    #[schema(required)]
    pub decision: Option<Verdict>,
    /// For an approval: the roles the new account gets.
    #[schema(max_items = 16)]
    pub roles: Option<Vec<String>>,
    /// For a rejection: what the requester is told.
    #[schema(value_type = Option<String>, max_length = 2000)]
    pub message: Option<String>,
}

/// A valid decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Approve(Vec<Role>),
    Reject(Option<String>),
}

impl DecisionDraft {
    pub fn validate(&self, company: &str) -> Result<Decision, Invalid> {
        match self.decision {
            None => Err(Invalid::new("decision", "is required: approve or reject")),
            Some(Verdict::Approve) => Ok(Decision::Approve(roles_for("roles", self.roles.as_deref(), company)?)),
            Some(Verdict::Reject) => {
                let message = match self.message.as_deref().map(str::trim).filter(|m| !m.is_empty()) {
                    Some(m) => Some(validate::text("message", Some(m), MESSAGE_MAX_CHARS)?),
                    None => None,
                };
                Ok(Decision::Reject(message))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn who(company: &str, roles: &[Role]) -> Identity {
        Identity {
            user_id: "u_actor".into(),
            email: "actor@x.test".into(),
            name: None,
            company: company.into(),
            roles: roles.to_vec(),
        }
    }

    fn user(roles: &[Role], state: UserState) -> User {
        let at = Utc::now();
        User {
            id: "u_target".into(),
            email: "t@acme.test".into(),
            name: "T".into(),
            company: "ACME".into(),
            roles: roles.to_vec(),
            state,
            created_at: at,
            updated_at: at,
            activated_at: Some(at),
            session_epoch: 0,
            title: None,
            date_format: crate::domain::people::DateFormat::default(),
            deactivated_with_company: false,
        }
    }

    fn patch(roles: Option<&[&str]>, state: Option<UserState>) -> UserPatch {
        UserPatch {
            roles: roles.map(|r| r.iter().map(|s| s.to_string()).collect()),
            state,
        }
    }

    #[test]
    fn managers_manage_their_own_company_and_staff_admins_every_one() {
        let owner = who("ACME", &[Role::Owner]);
        assert!(may_manage(&owner, "ACME") && !may_manage(&owner, "BETA"));
        assert!(!may_manage(&who("ACME", &[Role::TeamLead]), "ACME"));
        assert!(!may_manage(&who("ACME", &[Role::Adjuster]), "ACME"));
        assert!(may_manage(&who(VENDOR, &[Role::StaffAdmin]), "ACME"));
        assert!(may_manage(&who(VENDOR, &[Role::StaffAdmin]), VENDOR));
        assert!(!may_manage(&who(VENDOR, &[Role::AgentL2]), "ACME"));
        assert!(may_list(&who(VENDOR, &[Role::AgentL1]), "ACME"));
        assert!(may_decide(&who(VENDOR, &[Role::AgentL1]), "ACME"));
        assert!(!may_list(&who("ACME", &[Role::Adjuster]), "ACME"));
    }

    #[test]
    fn roles_fit_their_company() {
        let names = |n: &[&str]| n.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            roles_for("roles", Some(&names(&["Adjuster", "adjuster", "Team Lead"])), "ACME").unwrap(),
            vec![Role::Adjuster, Role::TeamLead]
        );
        assert!(roles_for("roles", Some(&names(&["agent_l1"])), "ACME").is_err());
        assert!(roles_for("roles", Some(&names(&["owner"])), VENDOR).is_err());
        assert!(roles_for("roles", Some(&names(&["janitor"])), "ACME").is_err());
        assert_eq!(roles_for("roles", Some(&[]), "ACME").unwrap_err().field, "roles");
    }

    #[test]
    fn nobody_raises_their_own_roles_or_deactivates_themselves() {
        let now = Utc::now();
        let mut me = user(&[Role::Administrator], UserState::Active);
        me.id = "u_actor".into();
        let actor = who("ACME", &[Role::Administrator]);
        let raise = apply_patch(&actor, &me, &patch(Some(&["administrator", "owner"]), None), 2, now);
        assert!(matches!(raise, Err(PatchRefusal::OwnAccount(_))));
        let leave = apply_patch(&actor, &me, &patch(None, Some(UserState::Deactivated)), 2, now);
        assert!(matches!(leave, Err(PatchRefusal::OwnAccount(_))));
        me.roles = vec![Role::Adjuster, Role::Administrator];
        let lower = apply_patch(&actor, &me, &patch(Some(&["adjuster"]), None), 2, now);
        assert!(lower.is_ok(), "giving up a role is fine");
    }

    #[test]
    fn the_last_active_owner_stays() {
        let now = Utc::now();
        let actor = who(VENDOR, &[Role::StaffAdmin]);
        let owner = user(&[Role::Owner], UserState::Active);
        for change in [
            patch(Some(&["administrator"]), None),
            patch(None, Some(UserState::Deactivated)),
        ] {
            assert_eq!(
                apply_patch(&actor, &owner, &change, 1, now).unwrap_err(),
                PatchRefusal::LastOwner
            );
            assert!(apply_patch(&actor, &owner, &change, 2, now).is_ok());
        }
    }

    #[test]
    fn a_patch_says_what_changed_and_reactivation_returns_to_where_the_user_was() {
        let now = Utc::now();
        let actor = who("ACME", &[Role::Owner]);
        let adjuster = user(&[Role::Adjuster], UserState::Active);
        let (after, changes) = apply_patch(
            &actor,
            &adjuster,
            &patch(Some(&["adjuster", "team_lead"]), None),
            1,
            now,
        )
        .unwrap();
        assert_eq!(after.roles, vec![Role::Adjuster, Role::TeamLead]);
        assert_eq!(
            changes,
            vec![FieldChange {
                what: "roles",
                from: "adjuster".into(),
                to: "adjuster, team_lead".into()
            }]
        );
        let mut invited = user(&[Role::Adjuster], UserState::Deactivated);
        invited.activated_at = None;
        let (after, _) = apply_patch(&actor, &invited, &patch(None, Some(UserState::Active)), 1, now).unwrap();
        assert_eq!(after.state, UserState::Invited);
        let (_, none) = apply_patch(&actor, &adjuster, &patch(Some(&["adjuster"]), None), 1, now).unwrap();
        assert!(none.is_empty());
    }

    #[test]
    fn names_that_reach_mail_cannot_pose_as_addresses() {
        assert!(person_name("name", Some("Ann Example")).is_ok());
        assert!(person_name("name", Some("Ann <ann@evil.test>")).is_err());
        assert!(person_name("name", Some("Ann\r\nBcc: x@y.test")).is_err());
        assert!(person_name("name", Some(&"a".repeat(121))).is_err());
    }

    #[test]
    fn a_link_is_single_use_and_expires() {
        let now = Utc::now();
        let mut link = PasswordLink::new("u".into(), LinkPurpose::Reset, now);
        assert!(link.usable_at(now));
        assert!(!link.usable_at(now + Duration::minutes(RESET_MINUTES)));
        link.used_at = Some(now);
        assert!(!link.usable_at(now));
    }
}
