//! Mail through SES v2: each outbox mail is sent as a raw MIME message (the bytes of
//! `claimdesk_core::mime`), so Reply-To, Message-ID and References reach the recipient as
//! built. The outbox marks a mail sent only once SES accepted it.

use crate::lazy::LazyClient;
use async_trait::async_trait;
use aws_sdk_sesv2::primitives::Blob;
use aws_sdk_sesv2::types::{Destination, EmailContent, MessageTag, RawMessage};
use aws_sdk_sesv2::Client;
use claimdesk_core::mime::{address_of, render};
use claimdesk_core::ports::{DeliveryError, Mail, Mailer};

pub const MAIL_TAG: &str = "claimdesk-mail";
pub const TICKET_TAG: &str = "claimdesk-ticket";

fn tag(name: &str, value: &str) -> Result<MessageTag, DeliveryError> {
    MessageTag::builder()
        .name(name)
        .value(value)
        .build()
        .map_err(|e| DeliveryError(e.to_string()))
}

pub struct SesMailer {
    client: LazyClient<Client>,
    /// Where SES reports deliveries, bounces and complaints (events to EventBridge).
    configuration_set: Option<String>,
}

impl SesMailer {
    pub fn new(client: LazyClient<Client>, configuration_set: Option<String>) -> SesMailer {
        SesMailer {
            client,
            configuration_set,
        }
    }
}

#[async_trait]
impl Mailer for SesMailer {
    async fn send(&self, mail: &Mail) -> Result<(), DeliveryError> {
        let raw = render(mail).map_err(|e| DeliveryError(e.to_string()))?;
        let message = RawMessage::builder()
            .data(Blob::new(raw))
            .build()
            .map_err(|e| DeliveryError(e.to_string()))?;
        // SES repeats these tags in its bounce and complaint events: `mail-feedback` finds the
        // mail and its ticket by them. Our ids are letters, digits and `_`, as tags require.
        let mut tags = vec![tag(MAIL_TAG, &mail.id)?];
        if let Some(ticket) = &mail.ticket_id {
            tags.push(tag(TICKET_TAG, ticket)?);
        }
        self.client
            .get()
            .send_email()
            .from_email_address(address_of(&mail.from))
            .set_email_tags(Some(tags))
            .destination(Destination::builder().to_addresses(&mail.to).build())
            .content(EmailContent::builder().raw(message).build())
            .set_configuration_set_name(self.configuration_set.clone())
            .send()
            .await
            .map(|_| ())
            .map_err(|e| DeliveryError(format!("SES refused or unreachable: {e:?}")))
    }
}
