//! Warranty (seed 004): products with terms, serials assigned to a dealer company, one
//! registration per serial by that dealer, and a lookup that hides customer details from
//! everyone but the owning company and support staff.

use super::roles::Identity;
use super::validate::{self, Invalid};
use chrono::{DateTime, Months, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Product {
    pub sku: String,
    pub name: String,
    pub warranty_months: u32,
    /// Parts, labour and other expenses, each its own term (issue 15); a product defined
    /// without them covers everything for `warranty_months` at 100 %.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coverage: Option<super::warranty_claim::Coverage>,
}

impl Product {
    /// The terms in force for a claim on this product.
    pub fn coverage(&self) -> super::warranty_claim::Coverage {
        self.coverage
            .unwrap_or_else(|| super::warranty_claim::Coverage::uniform(self.warranty_months))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EndCustomer {
    pub name: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Registration {
    pub end_customer: EndCustomer,
    pub delivery_date: NaiveDate,
    pub warranty_start: NaiveDate,
    pub warranty_end: NaiveDate,
    pub registered_by: String,
    pub registered_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Serial {
    pub serial: String,
    pub sku: String,
    pub dealer_company: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub registration: Option<Registration>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WarrantyRefusal {
    #[error("{0}")]
    Invalid(#[from] Invalid),
    #[error("this serial number belongs to another company")]
    NotYourSerial,
    #[error("this serial number is already registered")]
    AlreadyRegistered,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductDraft {
    #[schema(required, schema_with = validate::schemas::sku)]
    pub sku: Option<String>,
    #[schema(required, value_type = String, min_length = 1, max_length = 200, pattern = "\\S")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "super::validate::whole_number")]
    #[schema(required, value_type = u32, minimum = 1, maximum = 240)]
    pub warranty_months: Option<u32>,
    /// Each bucket's own term (months 0–240, percent 0–100); everything for
    /// `warranty_months` at 100 % when absent.
    pub coverage: Option<CoverageDraft>,
}

/// A product's terms per bucket, as the API receives them.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CoverageDraft {
    #[schema(required)]
    pub parts: Option<TermDraft>,
    #[schema(required)]
    pub labour: Option<TermDraft>,
    #[schema(required)]
    pub other: Option<TermDraft>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TermDraft {
    #[serde(default, deserialize_with = "super::validate::whole_number")]
    #[schema(required, value_type = u32, minimum = 0, maximum = 240)]
    pub months: Option<u32>,
    #[serde(default, deserialize_with = "super::validate::whole_number")]
    #[schema(required, value_type = u32, minimum = 0, maximum = 100)]
    pub percent: Option<u32>,
}

impl CoverageDraft {
    fn validate(&self) -> Result<super::warranty_claim::Coverage, Invalid> {
        let term = |name: &str, draft: &Option<TermDraft>| -> Result<super::warranty_claim::Term, Invalid> {
            let draft = draft
                .as_ref()
                .ok_or_else(|| Invalid::new(format!("coverage.{name}"), "is required: months and percent"))?;
            let months = match draft.months {
                Some(m @ 0..=240) => m,
                _ => return Err(Invalid::new(format!("coverage.{name}.months"), "must be from 0 to 240")),
            };
            let percent = match draft.percent {
                Some(p @ 0..=100) => p as u8,
                _ => {
                    return Err(Invalid::new(
                        format!("coverage.{name}.percent"),
                        "must be from 0 to 100",
                    ))
                }
            };
            Ok(super::warranty_claim::Term { months, percent })
        };
        Ok(super::warranty_claim::Coverage {
            parts: term("parts", &self.parts)?,
            labour: term("labour", &self.labour)?,
            other: term("other", &self.other)?,
        })
    }
}

impl ProductDraft {
    pub fn validate(&self) -> Result<Product, Invalid> {
        let months = self
            .warranty_months
            .ok_or_else(|| Invalid::new("warranty_months", "is required"))?;
        if !(1..=240).contains(&months) {
            return Err(Invalid::new("warranty_months", "must be between 1 and 240"));
        }
        Ok(Product {
            sku: validate::code("sku", self.sku.as_deref(), 40)?,
            name: validate::line("name", self.name.as_deref(), 200)?,
            warranty_months: months,
            coverage: self.coverage.as_ref().map(CoverageDraft::validate).transpose()?,
        })
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SerialDraft {
    #[schema(required, schema_with = validate::schemas::serial)]
    pub serial: Option<String>,
    #[schema(required, schema_with = validate::schemas::sku)]
    pub sku: Option<String>,
    /// The company code of the dealer the serial is assigned to.
    #[schema(required, schema_with = validate::schemas::company_code)]
    pub dealer_company: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegistrationDraft {
    #[schema(required, schema_with = validate::schemas::serial)]
    pub serial: Option<String>,
    #[schema(required, value_type = EndCustomerDraft)]
    pub end_customer: Option<EndCustomerDraft>,
    /// YYYY-MM-DD, not in the future.
    #[schema(required, value_type = String, format = Date, min_length = 1)]
    pub delivery_date: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndCustomerDraft {
    #[schema(required, value_type = String, min_length = 1, max_length = 200, pattern = "\\S")]
    pub name: Option<String>,
    #[schema(schema_with = validate::schemas::optional_email)]
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
}

/// Registers a warranty on `serial` for the dealer `who`. The warranty runs from delivery
/// for the product's months. Delivery cannot be in the future.
pub fn register(
    serial: &Serial,
    product: &Product,
    draft: &RegistrationDraft,
    who: &Identity,
    now: DateTime<Utc>,
) -> Result<Serial, WarrantyRefusal> {
    if serial.dealer_company != who.company {
        return Err(WarrantyRefusal::NotYourSerial);
    }
    if serial.registration.is_some() {
        return Err(WarrantyRefusal::AlreadyRegistered);
    }
    let customer = draft.end_customer.clone().unwrap_or_default();
    let end_customer = EndCustomer {
        name: validate::line("end_customer.name", customer.name.as_deref(), 200)?,
        email: customer
            .email
            .as_deref()
            .map(|e| validate::email("end_customer.email", Some(e)))
            .transpose()?,
        phone: validate::optional_line("end_customer.phone", customer.phone.as_deref(), 40)?,
        address: validate::optional_line("end_customer.address", customer.address.as_deref(), 300)?,
    };
    let delivery_text = validate::line("delivery_date", draft.delivery_date.as_deref(), 10)?;
    let delivery_date = NaiveDate::parse_from_str(&delivery_text, "%Y-%m-%d")
        .map_err(|_| Invalid::new("delivery_date", "must be a date as YYYY-MM-DD"))?;
    if delivery_date > now.date_naive() {
        return Err(Invalid::new("delivery_date", "must not be in the future").into());
    }
    let warranty_end = delivery_date
        .checked_add_months(Months::new(product.warranty_months))
        .ok_or_else(|| Invalid::new("delivery_date", "is out of range"))?;
    let mut registered = serial.clone();
    registered.registration = Some(Registration {
        end_customer,
        delivery_date,
        warranty_start: delivery_date,
        warranty_end,
        registered_by: who.email.to_string(),
        registered_at: now,
    });
    Ok(registered)
}

/// Whether `who` may see the customer and claim details of a serial.
pub fn sees_details(who: &Identity, serial: &Serial) -> bool {
    who.is_agent() || who.company == serial.dealer_company
}

/// Whether `who` may see what a claim on a unit says (its number, subject, ticket). Any
/// company may name any serial on its ticket, so even the unit's dealer sees other
/// companies' claims as a count and dates only; staff see them all.
pub fn sees_claim(who: &Identity, claim_company: &str) -> bool {
    who.is_agent() || who.company == claim_company
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::roles::Role;
    use chrono::TimeZone;

    fn dealer(company: &str) -> Identity {
        Identity {
            user_id: "d".into(),
            email: "d@dealer.test".into(),
            name: None,
            company: company.into(),
            roles: vec![Role::Owner],
        }
    }

    fn fixtures() -> (Serial, Product, RegistrationDraft, DateTime<Utc>) {
        let now = Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap();
        let serial = Serial {
            serial: "SN-1".into(),
            sku: "PUMP".into(),
            dealer_company: "DEAL".into(),
            created_by: "staff".into(),
            created_at: now,
            registration: None,
        };
        let product = Product {
            sku: "PUMP".into(),
            name: "Pump".into(),
            warranty_months: 24,
            coverage: None,
        };
        let draft = RegistrationDraft {
            serial: Some("SN-1".into()),
            end_customer: Some(EndCustomerDraft {
                name: Some("Bo".into()),
                ..Default::default()
            }),
            delivery_date: Some("2026-01-31".into()),
        };
        (serial, product, draft, now)
    }

    #[test]
    fn the_warranty_runs_from_delivery_for_the_products_months() {
        let (serial, product, draft, now) = fixtures();
        let done = register(&serial, &product, &draft, &dealer("DEAL"), now).unwrap();
        let reg = done.registration.unwrap();
        assert_eq!(reg.warranty_end, NaiveDate::from_ymd_opt(2028, 1, 31).unwrap());
    }

    #[test]
    fn another_company_or_a_second_registration_is_refused() {
        let (serial, product, draft, now) = fixtures();
        assert_eq!(
            register(&serial, &product, &draft, &dealer("OTHER"), now),
            Err(WarrantyRefusal::NotYourSerial)
        );
        let once = register(&serial, &product, &draft, &dealer("DEAL"), now).unwrap();
        assert_eq!(
            register(&once, &product, &draft, &dealer("DEAL"), now),
            Err(WarrantyRefusal::AlreadyRegistered)
        );
    }

    #[test]
    fn a_future_delivery_date_is_refused_by_name() {
        let (serial, product, mut draft, now) = fixtures();
        draft.delivery_date = Some("2027-01-01".into());
        match register(&serial, &product, &draft, &dealer("DEAL"), now) {
            Err(WarrantyRefusal::Invalid(i)) => assert_eq!(i.field, "delivery_date"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_claim_says_what_it_is_only_to_its_company_and_staff() {
        let mut agent = dealer("VENDOR");
        agent.roles = vec![Role::AgentL1];
        assert!(sees_claim(&dealer("DEAL"), "DEAL"));
        assert!(!sees_claim(&dealer("DEAL"), "OTHER"));
        assert!(sees_claim(&agent, "OTHER"));
    }
}
