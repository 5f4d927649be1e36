//! AWS plumbing: the emulator's address, the AWS desk, and how a request reaches a Lambda
//! function (API Gateway's route table and JWT authorizer, played here).

use super::*;
use aws_config::SdkConfig;
use claimdesk_aws::config::Names;
use claimdesk_core::http::auth::{verified_claims, TokenRules};
use claimdesk_core::http::{route_for, Deploy};
use claimdesk_core::services::Settings;
use serde_json::{json, Value};
use std::collections::HashMap;

pub fn aws_endpoint() -> String {
    std::env::var(ENDPOINT_VARIABLE).unwrap_or_else(|_| {
        panic!(
            "{ENDPOINT_VARIABLE} is not set: run the suite with `bash scripts/test.sh`, which starts \
             the AWS emulator (moto) and sets it"
        )
    })
}

pub struct AwsDesk {
    pub engine: claimdesk_aws::Engine,
    pub sdk: SdkConfig,
    pub endpoint: String,
    pub names: Names,
    pub(super) settings: Settings,
    /// Stand between SES's or EventBridge's client and the emulator once a test takes that
    /// service down.
    pub(super) relays: HashMap<Service, Relay>,
    /// The JWT authorizer's key: tokens the harness issues are checked with it, as API
    /// Gateway checks Cognito's, and their claims reach the function as strings.
    pub(super) secret: Vec<u8>,
    /// More warm instances of the functions (see `Desk::spread_over_instances`).
    pub(super) instances: Vec<claimdesk_aws::Engine>,
    /// The last stream record handed to the indexer (`index_stream`).
    pub(super) stream_position: std::sync::Mutex<Option<String>>,
    /// How far `deliver-outbox` has read the stream (its own event source mapping).
    pub(super) outbox_position: std::sync::Mutex<Option<String>>,
    pub(super) next_instance: std::sync::atomic::AtomicUsize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    Mail,
    Events,
}

impl AwsDesk {
    pub(super) async fn invoke(
        &self,
        method: &str,
        path_and_query: &str,
        token: Option<&str>,
        headers: Vec<(String, String)>,
        body: Option<Vec<u8>>,
    ) -> Answer {
        let (path, query) = path_and_query.split_once('?').unwrap_or((path_and_query, ""));
        // On AWS the local server's own routes do not exist: API Gateway has no such route.
        let Some((function, route)) = route_for(method, path).filter(|(f, _)| f.deploy == Deploy::Lambda) else {
            return gateway_refusal(404, "Not Found");
        };
        // API Gateway's JWT authorizer: no valid token, no call.
        let claims = match (route.public(), token) {
            (true, _) => None,
            (false, None) => return gateway_refusal(401, "Unauthorized"),
            (false, Some(token)) => match verified_claims(&self.secret, token, &TokenRules::default()) {
                Ok(claims) => Some(claims),
                Err(_) => match self.cognito_claims(token).await {
                    Some(claims) => Some(claims),
                    None => return gateway_refusal(401, "Unauthorized"),
                },
            },
        };
        let event = api_event(function, route, path, query, claims, headers, body);
        let request = lambda_http::request::from_str(&event.to_string()).expect("a valid API Gateway event");
        let n = self.next_instance.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % (1 + self.instances.len());
        let engine = if n == 0 { &self.engine } else { &self.instances[n - 1] };
        let response = claimdesk_aws::lambda::handle_http(engine, function, request).await;
        Answer {
            status: response.status().as_u16(),
            headers: response
                .headers()
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("").to_string()))
                .collect(),
            body: response.body().to_vec(),
        }
    }

    /// A Cognito ID token's claims, checked as API Gateway's JWT authorizer checks them
    /// (the template's `CognitoJwt`): signed by a key the pool publishes (the emulator serves
    /// its JWKS), issued by the pool, for the portal client, not expired.
    async fn cognito_claims(&self, token: &str) -> Option<serde_json::Map<String, Value>> {
        use jsonwebtoken::jwk::JwkSet;
        use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
        let pool = self.names.user_pool.as_ref()?;
        let header = decode_header(token).ok()?;
        if header.alg != Algorithm::RS256 {
            return None;
        }
        let jwks: JwkSet = reqwest::get(format!("{}/{}/.well-known/jwks.json", self.endpoint, pool.id))
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        let key = DecodingKey::from_jwk(jwks.find(header.kid.as_deref()?)?).ok()?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_audience(&[&pool.client_id]);
        validation.set_issuer(&[format!("https://cognito-idp.us-east-1.amazonaws.com/{}", pool.id)]);
        decode::<serde_json::Map<String, Value>>(token, &key, &validation)
            .ok()
            .map(|data| data.claims)
    }

    /// The table's stream as Lambda's event source mapping reads it: every record since the
    /// last call (the emulator speaks DynamoDB Streams' own JSON protocol), handed to
    /// `search-indexer` in one batch with the fields Lambda adds (`eventSourceARN`,
    /// `awsRegion`), as in `events/table-stream.json`.
    pub async fn index_stream(&self) -> claimdesk_aws::lambda::IndexReport {
        let event = self.stream_since(&self.stream_position).await;
        claimdesk_aws::lambda::handle_index(&self.engine, &event)
            .await
            .expect("the indexer takes the batch")
    }

    /// The stream's records since the last call, handed to `deliver-outbox` as its event
    /// source mapping would (Lambda's filter, INSERTs of notices, is the function's own
    /// first step too): it delivers the new notices they name.
    pub async fn deliver_stream(&self) -> claimdesk_core::services::mail::outbox::DeliveryReport {
        let event = self.stream_since(&self.outbox_position).await;
        claimdesk_aws::lambda::handle_deliver(&self.engine, &event)
            .await
            .expect("deliver-outbox takes the batch")
    }

    /// The stream's records after a reader's `position`, as one batch; the position moves on.
    async fn stream_since(&self, position: &std::sync::Mutex<Option<String>>) -> Value {
        let after = position.lock().unwrap().clone();
        let (event, last) =
            claimdesk_bench::stream_batch(&self.sdk, &self.endpoint, &self.names.table, after.as_deref()).await;
        *position.lock().unwrap() = last;
        event
    }

    pub async fn object_created(&self, key: &str, size: usize) -> claimdesk_aws::lambda::ConfirmReport {
        let mut event: Value = serde_json::from_str(&event_file("s3-object-created.json")).unwrap();
        let object = &mut event["Records"][0]["s3"];
        object["bucket"]["name"] = json!(self.names.bucket);
        object["bucket"]["arn"] = json!(format!("arn:aws:s3:::{}", self.names.bucket));
        object["object"]["key"] = json!(key);
        object["object"]["size"] = json!(size);
        let event = serde_json::from_value(event).expect("an S3 event");
        claimdesk_aws::lambda::handle_object_created(&self.engine, event)
            .await
            .expect("confirmation")
    }

    /// The inbound bucket SES would write to: this desk's attachment bucket's name with
    /// `-mail`, made on first use.
    pub async fn inbound_email(&self, raw: &[u8]) -> claimdesk_aws::lambda::InboundBatch {
        let s3 = aws_sdk_s3::Client::new(&self.sdk);
        let bucket = format!("{}-mail", self.names.bucket);
        // Already there after the first mail; any other failure shows in the put below.
        let _ = s3.create_bucket().bucket(&bucket).send().await;
        let message_id = format!("{:032x}", rand::random::<u128>());
        let key = format!("inbound/{message_id}");
        s3.put_object()
            .bucket(&bucket)
            .key(&key)
            .body(raw.to_vec().into())
            .send()
            .await
            .expect("the emulator stores the raw mail");
        let mut event: Value = serde_json::from_str(&event_file("s3-inbound-email.json")).unwrap();
        let object = &mut event["Records"][0]["s3"];
        object["bucket"]["name"] = json!(bucket);
        object["bucket"]["arn"] = json!(format!("arn:aws:s3:::{bucket}"));
        object["object"]["key"] = json!(key);
        object["object"]["size"] = json!(raw.len());
        let event = serde_json::from_value(event).expect("an S3 event");
        claimdesk_aws::lambda::handle_inbound_email(&self.engine, event)
            .await
            .expect("the inbound function handles the mail")
    }

    /// Raw messages SES accepted from this desk's sender, read from the emulator (see
    /// `scripts/emulator.py`).
    pub(super) async fn sent_mail(&self, http: &reqwest::Client) -> Vec<Vec<u8>> {
        let sender = claimdesk_core::mime::address_of(&self.settings.mail_from);
        let raws: Vec<String> = http
            .get(format!("{}/_claimdesk/ses-raw", self.endpoint))
            .query(&[("sender", sender)])
            .send()
            .await
            .expect("emulator reachable")
            .json()
            .await
            .expect("a list of raw messages");
        raws.into_iter().map(String::into_bytes).collect()
    }
}

pub(super) fn gateway_refusal(status: u16, message: &str) -> Answer {
    Answer {
        status,
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("x-test-gateway".into(), "refused".into()),
        ],
        body: json!({ "message": message }).to_string().into_bytes(),
    }
}
