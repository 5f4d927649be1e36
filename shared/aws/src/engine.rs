//! The AWS engine assembled: one set of SDK clients, the core over them, and the HTTP
//! layer. A function builds this once per cold start and reuses it for every event.

use crate::accounts::CognitoAccounts;
use crate::blobs::S3Blobs;
use crate::config::{self, ConfigError, Names};
use crate::events::BusPublisher;
use crate::lazy::LazyClient;
use crate::mail::SesMailer;
use crate::search::S3Search;
use crate::table::DynamoTable;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use claimdesk_core::domain::catalogue::Catalogue;
use claimdesk_core::http::Api;
use claimdesk_core::ports::{Clock, Mailer, Publisher, SystemClock};
use claimdesk_core::services::{Core, Delivery, NumberPool, Pace, Settings};
use std::sync::Arc;

#[derive(Clone)]
pub struct Engine {
    pub core: Core,
    /// The same table as `core.table`, for what only DynamoDB has (its usage meter).
    pub dynamo: Arc<DynamoTable>,
    pub api: Api,
    pub mailer: Arc<dyn Mailer>,
    pub publisher: Arc<dyn Publisher>,
    /// Reads the raw inbound mail SES stored (a bucket of its own, named by each event); the
    /// attachments' client too. Built on first use, like SES's and EventBridge's.
    pub s3: Arc<LazyClient<aws_sdk_s3::Client>>,
    /// The search index's copy in local storage (and, in `search-indexer`, its publisher).
    pub search: Arc<S3Search>,
    pub names: Names,
}

impl Engine {
    pub fn new(sdk: &SdkConfig, names: Names, mut settings: Settings, clock: Arc<dyn Clock>) -> Engine {
        // The table's stream wakes `deliver-outbox` with each new notice's record.
        settings.delivery = Delivery::Stream;
        let dynamo = Arc::new(DynamoTable::new(
            LazyClient::of(sdk, aws_sdk_dynamodb::Client::new),
            &names.table,
            clock.clone(),
        ));
        let s3 = Arc::new(LazyClient::of(sdk, aws_sdk_s3::Client::new));
        let blobs = S3Blobs::new(s3.clone(), &names.bucket);
        let accounts = CognitoAccounts::new(
            LazyClient::of(sdk, aws_sdk_cognitoidentityprovider::Client::new),
            names.user_pool.clone(),
        );
        let search = Arc::new(S3Search::new(dynamo.clone(), s3.clone(), &names.bucket, &names.table));
        let core = Core {
            table: dynamo.clone(),
            blobs: Arc::new(blobs),
            accounts: Arc::new(accounts),
            search: search.clone(),
            clock,
            numbers: NumberPool::new(settings.number_block_max),
            pace: Arc::new(Pace::new(settings.mail_send_rate)),
            settings: Arc::new(settings),
            catalogue: Arc::new(Catalogue::defaults()),
        };
        Engine {
            api: Api::new(core.clone()),
            core,
            dynamo,
            mailer: Arc::new(SesMailer::new(
                LazyClient::of(sdk, aws_sdk_sesv2::Client::new),
                names.configuration_set.clone(),
            )),
            publisher: Arc::new(BusPublisher::new(
                LazyClient::of(sdk, aws_sdk_eventbridge::Client::new),
                &names.bus,
            )),
            s3,
            search,
            names,
        }
    }

    /// Configuration from the environment, credentials and region from the usual chain.
    pub async fn from_env() -> Result<Engine, ConfigError> {
        let (names, settings) = config::from_env()?;
        let mut loader = aws_config::defaults(BehaviorVersion::latest()).http_client(crate::tls::https_client());
        // On Lambda the region and the role's credentials are in the environment, which is
        // where the default chains look first; naming them skips building the rest of those
        // chains (profile files, SSO, web identity, the container and instance metadata
        // clients), most of a function's init.
        if let Some((region, credentials)) = environment_credentials() {
            loader = loader.region(region).credentials_provider(credentials);
        }
        let sdk = loader.load().await;
        Ok(Engine::new(&sdk, names, settings, Arc::new(SystemClock)))
    }
}

/// The region and static credentials the environment names, when it names both (Lambda
/// always does; a developer's shell may not, and then the default chains decide).
fn environment_credentials() -> Option<(Region, Credentials)> {
    let variable = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
    let region = variable("AWS_REGION").or_else(|| variable("AWS_DEFAULT_REGION"))?;
    let credentials = Credentials::new(
        variable("AWS_ACCESS_KEY_ID")?,
        variable("AWS_SECRET_ACCESS_KEY")?,
        variable("AWS_SESSION_TOKEN"),
        None,
        "Environment",
    );
    Some((Region::new(region), credentials))
}
