//! Creates the resources the functions use, as `infra/template.yaml` declares them: for
//! tests and demos against an AWS emulator. Production resources come from the template.

use crate::config::{Names, UserPool};
use crate::table::{index_attributes, EXPIRES_AT, SUMMARY};
use aws_config::SdkConfig;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType, StreamSpecification, StreamViewType, TimeToLiveSpecification,
};

fn failed(what: &str) -> impl Fn(&dyn std::fmt::Debug) -> String + '_ {
    move |e| format!("{what}: {e:?}")
}

fn key(name: &str, kind: KeyType) -> Result<KeySchemaElement, String> {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(kind)
        .build()
        .map_err(|e| failed("key schema")(&e))
}

fn text_attribute(name: &str) -> Result<AttributeDefinition, String> {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::S)
        .build()
        .map_err(|e| failed("attribute")(&e))
}

/// The table: `pk`/`sk`, four sparse indexes projecting everything, on-demand billing,
/// TTL on `expires_at`, and a stream (new images) that wakes the outbox delivery.
pub async fn create_table(sdk: &SdkConfig, name: &str) -> Result<(), String> {
    let client = aws_sdk_dynamodb::Client::new(sdk);
    let mut request = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key("pk", KeyType::Hash)?)
        .key_schema(key("sk", KeyType::Range)?)
        .attribute_definitions(text_attribute("pk")?)
        .attribute_definitions(text_attribute("sk")?)
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::NewImage)
                .build()
                .map_err(|e| failed("stream")(&e))?,
        );
    for index in claimdesk_core::ports::Index::SECONDARY {
        let (pk, sk, Some(index_name)) = index_attributes(index) else {
            continue;
        };
        request = request
            .attribute_definitions(text_attribute(pk)?)
            .attribute_definitions(text_attribute(sk)?)
            .global_secondary_indexes(
                GlobalSecondaryIndex::builder()
                    .index_name(index_name)
                    .key_schema(key(pk, KeyType::Hash)?)
                    .key_schema(key(sk, KeyType::Range)?)
                    .projection(projection(index))
                    .build()
                    .map_err(|e| failed("index")(&e))?,
            );
    }
    request.send().await.map_err(|e| failed("create table")(&e))?;
    client
        .update_time_to_live()
        .table_name(name)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name("expires_at")
                .build()
                .map_err(|e| failed("ttl")(&e))?,
        )
        .send()
        .await
        .map_err(|e| failed("ttl")(&e))?;
    Ok(())
}

/// Table, bucket, bus, and the SES identity mail is sent from.
pub async fn provision(sdk: &SdkConfig, names: &Names, mail_from: &str) -> Result<(), String> {
    create_table(sdk, &names.table).await?;
    aws_sdk_s3::Client::new(sdk)
        .create_bucket()
        .bucket(&names.bucket)
        .send()
        .await
        .map_err(|e| failed("create bucket")(&e))?;
    aws_sdk_eventbridge::Client::new(sdk)
        .create_event_bus()
        .name(&names.bus)
        .send()
        .await
        .map_err(|e| failed("create bus")(&e))?;
    aws_sdk_sesv2::Client::new(sdk)
        .create_email_identity()
        .email_identity(claimdesk_core::mime::address_of(mail_from))
        .send()
        .await
        .map_err(|e| failed("create identity")(&e))?;
    Ok(())
}

/// What each index keeps of an item (`Index::projection`), as DynamoDB declares it. Every
/// index keeps `expires_at` too (absent on all but short-lived items), so an index query
/// drops an expired entry as the table does.
pub fn projection(index: claimdesk_core::ports::Index) -> Projection {
    use claimdesk_core::ports::Projection as Kept;
    match index.projection() {
        Kept::All => Projection::builder().projection_type(ProjectionType::All).build(),
        Kept::Summary => Projection::builder()
            .projection_type(ProjectionType::Include)
            .non_key_attributes(SUMMARY)
            .non_key_attributes(EXPIRES_AT)
            .build(),
        Kept::KeysOnly => Projection::builder()
            .projection_type(ProjectionType::Include)
            .non_key_attributes(EXPIRES_AT)
            .build(),
    }
}

/// A user pool as the template declares it (email sign-in, `custom:company`, the password
/// policy, a group per role) and its portal client with the flows the sign-in routes use.
pub async fn provision_user_pool(sdk: &SdkConfig, name: &str) -> Result<UserPool, String> {
    use aws_sdk_cognitoidentityprovider::types::{
        ExplicitAuthFlowsType, PasswordPolicyType, SchemaAttributeType, UserPoolPolicyType, UsernameAttributeType,
    };
    use claimdesk_core::domain::people::PASSWORD_MIN_CHARS;
    let cognito = aws_sdk_cognitoidentityprovider::Client::new(sdk);
    let policy = PasswordPolicyType::builder()
        .minimum_length(PASSWORD_MIN_CHARS as i32)
        .require_lowercase(true)
        .require_uppercase(true)
        .require_numbers(true)
        .require_symbols(false)
        .build();
    let company = SchemaAttributeType::builder()
        .name("company")
        .attribute_data_type(aws_sdk_cognitoidentityprovider::types::AttributeDataType::String)
        .mutable(true)
        .build();
    let pool = cognito
        .create_user_pool()
        .pool_name(name)
        .username_attributes(UsernameAttributeType::Email)
        .policies(UserPoolPolicyType::builder().password_policy(policy).build())
        .schema(company)
        .send()
        .await
        .map_err(|e| failed("create user pool")(&e))?;
    let id = pool.user_pool.and_then(|p| p.id).ok_or("create user pool: no id")?;
    let client = cognito
        .create_user_pool_client()
        .user_pool_id(&id)
        .client_name("portal")
        .generate_secret(false)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserPasswordAuth)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowRefreshTokenAuth)
        .send()
        .await
        .map_err(|e| failed("create user pool client")(&e))?;
    let client_id = client
        .user_pool_client
        .and_then(|c| c.client_id)
        .ok_or("create user pool client: no id")?;
    for role in claimdesk_core::domain::roles::Role::ALL {
        cognito
            .create_group()
            .user_pool_id(&id)
            .group_name(role.as_str())
            .send()
            .await
            .map_err(|e| failed("create group")(&e))?;
    }
    Ok(UserPool { id, client_id })
}
