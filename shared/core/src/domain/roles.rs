//! People, companies and roles as the seeds name them (seed 000), and who may do what.

use crate::domain::ids::{CompanyCode, Email, UserId};
use serde::{Deserialize, Serialize};

/// Every role a token may carry. Client roles and client admin roles come from seed 000;
/// support agents are the vendor's staff, at level 1 or 2, and the staff admin among them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    // Client (non-administrative) roles.
    Adjuster,
    CustomerService,
    ClientExaminer,
    ClientManager,
    // Client admin roles.
    Owner,
    Administrator,
    CompanyExaminer,
    ClaimsSupervisor,
    TeamLead,
    FileReviewer,
    Accounting,
    HumanResources,
    SalesAndMarketing,
    // The vendor's support staff.
    AgentL1,
    AgentL2,
    /// The vendor's staff administrator: staff, who also manages staff and companies.
    StaffAdmin,
}

impl Role {
    pub const ALL: [Role; 16] = [
        Role::Adjuster,
        Role::CustomerService,
        Role::ClientExaminer,
        Role::ClientManager,
        Role::Owner,
        Role::Administrator,
        Role::CompanyExaminer,
        Role::ClaimsSupervisor,
        Role::TeamLead,
        Role::FileReviewer,
        Role::Accounting,
        Role::HumanResources,
        Role::SalesAndMarketing,
        Role::AgentL1,
        Role::AgentL2,
        Role::StaffAdmin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Adjuster => "adjuster",
            Role::CustomerService => "customer_service",
            Role::ClientExaminer => "client_examiner",
            Role::ClientManager => "client_manager",
            Role::Owner => "owner",
            Role::Administrator => "administrator",
            Role::CompanyExaminer => "company_examiner",
            Role::ClaimsSupervisor => "claims_supervisor",
            Role::TeamLead => "team_lead",
            Role::FileReviewer => "file_reviewer",
            Role::Accounting => "accounting",
            Role::HumanResources => "human_resources",
            Role::SalesAndMarketing => "sales_and_marketing",
            Role::AgentL1 => "agent_l1",
            Role::AgentL2 => "agent_l2",
            Role::StaffAdmin => "staff_admin",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        let wanted = text.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        Role::ALL.into_iter().find(|r| r.as_str() == wanted)
    }

    pub fn is_client_admin(self) -> bool {
        matches!(
            self,
            Role::Owner
                | Role::Administrator
                | Role::CompanyExaminer
                | Role::ClaimsSupervisor
                | Role::TeamLead
                | Role::FileReviewer
                | Role::Accounting
                | Role::HumanResources
                | Role::SalesAndMarketing
        )
    }

    pub fn is_agent(self) -> bool {
        matches!(self, Role::AgentL1 | Role::AgentL2 | Role::StaffAdmin)
    }

    /// Seed 000: only these roles manage user accounts.
    pub fn manages_accounts(self) -> bool {
        matches!(self, Role::Owner | Role::Administrator | Role::HumanResources)
    }
}

/// The roles that manage accounts, for the message that refuses account requests.
pub const ACCOUNT_MANAGERS: &str = "Owner, Administrator or Human Resources";

/// Who is calling: the claims of the caller's token, already verified by whoever built it
/// (the API Gateway JWT authorizer, or the local server's HS256 check).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub user_id: UserId,
    pub email: Email,
    #[serde(default)]
    pub name: Option<String>,
    /// The caller's company code; support agents carry the vendor's own.
    pub company: CompanyCode,
    pub roles: Vec<Role>,
}

/// The three kinds of people the rules tell apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    Agent,
    ClientAdmin,
    ClientUser,
}

impl Identity {
    pub fn standing(&self) -> Standing {
        if self.roles.iter().any(|r| r.is_agent()) {
            Standing::Agent
        } else if self.roles.iter().any(|r| r.is_client_admin()) {
            Standing::ClientAdmin
        } else {
            Standing::ClientUser
        }
    }

    pub fn is_agent(&self) -> bool {
        self.standing() == Standing::Agent
    }

    pub fn is_client_admin(&self) -> bool {
        self.standing() == Standing::ClientAdmin
    }

    pub fn display_name(&self) -> String {
        self.name.clone().unwrap_or_else(|| self.email.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn who(roles: &[Role]) -> Identity {
        Identity {
            user_id: "u".into(),
            email: "u@x.test".into(),
            name: None,
            company: "ACME".into(),
            roles: roles.to_vec(),
        }
    }

    #[test]
    fn roles_parse_from_their_names_in_any_spelling() {
        assert_eq!(Role::parse("Human Resources"), Some(Role::HumanResources));
        assert_eq!(Role::parse("claims-supervisor"), Some(Role::ClaimsSupervisor));
        assert_eq!(Role::parse("agent_l2"), Some(Role::AgentL2));
        assert_eq!(Role::parse("janitor"), None);
    }

    #[test]
    fn standing_prefers_agent_then_admin() {
        assert_eq!(who(&[Role::Adjuster]).standing(), Standing::ClientUser);
        assert_eq!(who(&[Role::Adjuster, Role::TeamLead]).standing(), Standing::ClientAdmin);
        assert_eq!(who(&[Role::AgentL1]).standing(), Standing::Agent);
    }

    #[test]
    fn only_owner_administrator_and_hr_manage_accounts() {
        let managers: Vec<Role> = Role::ALL.into_iter().filter(|r| r.manages_accounts()).collect();
        assert_eq!(managers, vec![Role::Owner, Role::Administrator, Role::HumanResources]);
    }
}
