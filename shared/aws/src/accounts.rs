//! Accounts on AWS: Cognito holds the passwords and sessions. Creating a user is an admin
//! call (AdminCreateUser, AdminSetUserPassword, AdminAddUserToGroup: groups are roles,
//! `custom:company` the company); signing in and refreshing are Cognito's
//! USER_PASSWORD_AUTH and REFRESH_TOKEN_AUTH flows through the portal's app client, and the
//! token handed out is Cognito's ID token, the one API Gateway's JWT authorizer checks and
//! whose claims (`email`, `custom:company`, `cognito:groups`) name the caller.

use crate::config::UserPool;
use crate::lazy::LazyClient;
use async_trait::async_trait;
use aws_sdk_cognitoidentityprovider::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_cognitoidentityprovider::types::{
    AttributeType, AuthFlowType, AuthenticationResultType, MessageActionType,
};
use aws_sdk_cognitoidentityprovider::Client;
use claimdesk_core::domain::ids::{Email, UserId};
use claimdesk_core::domain::people::{User, UserState};
use claimdesk_core::domain::roles::Role;
use claimdesk_core::ports::{AccountError, Accounts, NewAccount, Tokens, Write};

pub struct CognitoAccounts {
    client: LazyClient<Client>,
    pool: Option<UserPool>,
}

/// What a Cognito error means here. Refusals of the caller's credentials (and of a user
/// Cognito does not know: the pool prevents user-existence errors) are all `Refused`.
fn account_error<E: ProvideErrorMetadata + std::fmt::Debug, R: std::fmt::Debug>(
    error: &SdkError<E, R>,
) -> AccountError {
    let code = error.as_service_error().and_then(|e| e.code()).unwrap_or_default();
    match code {
        "NotAuthorizedException"
        | "UserNotFoundException"
        | "UserNotConfirmedException"
        | "PasswordResetRequiredException" => AccountError::Refused,
        "UsernameExistsException" | "AliasExistsException" => AccountError::Taken,
        "TooManyRequestsException" | "InternalErrorException" | "LimitExceededException" => {
            AccountError::Unavailable(code.to_string())
        }
        "" if !matches!(error, SdkError::ServiceError(_)) => AccountError::Unavailable(format!("{error:?}")),
        _ => AccountError::Other(format!("{code}: {error:?}")),
    }
}

fn attribute(name: &str, value: &str) -> Result<AttributeType, AccountError> {
    AttributeType::builder()
        .name(name)
        .value(value)
        .build()
        .map_err(|e| AccountError::Other(e.to_string()))
}

impl CognitoAccounts {
    pub fn new(client: LazyClient<Client>, pool: Option<UserPool>) -> CognitoAccounts {
        CognitoAccounts { client, pool }
    }

    fn pool(&self) -> Result<&UserPool, AccountError> {
        self.pool
            .as_ref()
            .ok_or_else(|| AccountError::Other("USER_POOL_ID and USER_POOL_CLIENT_ID are not set".into()))
    }

    /// One InitiateAuth through the portal client. A challenge (a new password required,
    /// more factors) is not a sign-in yet.
    async fn authenticate(
        &self,
        flow: AuthFlowType,
        parameters: &[(&str, &str)],
    ) -> Result<AuthenticationResultType, AccountError> {
        let pool = self.pool()?;
        let mut call = self
            .client
            .get()
            .initiate_auth()
            .client_id(&pool.client_id)
            .auth_flow(flow);
        for (name, value) in parameters {
            call = call.auth_parameters(*name, *value);
        }
        let answer = call.send().await.map_err(|e| account_error(&e))?;
        answer.authentication_result.ok_or(AccountError::Refused)
    }

    async fn set_attributes(&self, username: &str, attributes: &[(&str, &str)]) -> Result<(), AccountError> {
        let pool = self.pool()?;
        let mut call = self
            .client
            .get()
            .admin_update_user_attributes()
            .user_pool_id(&pool.id)
            .username(username);
        for (name, value) in attributes {
            call = call.user_attributes(attribute(name, value)?);
        }
        call.send().await.map_err(|e| account_error(&e))?;
        Ok(())
    }

    /// AdminEnableUser or AdminDisableUser.
    async fn set_enabled(&self, username: &str, enabled: bool) -> Result<(), AccountError> {
        let pool = self.pool()?;
        let client = self.client.get();
        let sent = if enabled {
            client
                .admin_enable_user()
                .user_pool_id(&pool.id)
                .username(username)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| account_error(&e))
        } else {
            client
                .admin_disable_user()
                .user_pool_id(&pool.id)
                .username(username)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| account_error(&e))
        };
        sent
    }

    async fn set_permanent_password(&self, username: &str, password: &str) -> Result<(), AccountError> {
        let pool = self.pool()?;
        self.client
            .get()
            .admin_set_user_password()
            .user_pool_id(&pool.id)
            .username(username)
            .password(password)
            .permanent(true)
            .send()
            .await
            .map_err(|e| account_error(&e))?;
        Ok(())
    }

    async fn sign_out_everywhere(&self, username: &str) -> Result<(), AccountError> {
        let pool = self.pool()?;
        self.client
            .get()
            .admin_user_global_sign_out()
            .user_pool_id(&pool.id)
            .username(username)
            .send()
            .await
            .map_err(|e| account_error(&e))?;
        Ok(())
    }

    /// Adds the user to a role's group, or takes them out of it.
    async fn join_group(&self, username: &str, role: Role, join: bool) -> Result<(), AccountError> {
        let pool = self.pool()?;
        let client = self.client.get();
        let sent = if join {
            client
                .admin_add_user_to_group()
                .user_pool_id(&pool.id)
                .username(username)
                .group_name(role.as_str())
                .send()
                .await
                .map(|_| ())
                .map_err(|e| account_error(&e))
        } else {
            client
                .admin_remove_user_from_group()
                .user_pool_id(&pool.id)
                .username(username)
                .group_name(role.as_str())
                .send()
                .await
                .map(|_| ())
                .map_err(|e| account_error(&e))
        };
        sent
    }

    /// Cognito's tokens for a refresh token: (ID token, access token, seconds).
    async fn refreshed(&self, refresh_token: &str) -> Result<(String, String, i64), AccountError> {
        let result = self
            .authenticate(AuthFlowType::RefreshTokenAuth, &[("REFRESH_TOKEN", refresh_token)])
            .await?;
        match (result.id_token, result.access_token) {
            (Some(id), Some(access)) => Ok((id, access, i64::from(result.expires_in))),
            _ => Err(AccountError::Refused),
        }
    }
}

#[async_trait]
impl Accounts for CognitoAccounts {
    async fn create(&self, account: &NewAccount, password: Option<&str>) -> Result<(UserId, Vec<Write>), AccountError> {
        let pool = self.pool()?;
        let client = self.client.get();
        let created = client
            .admin_create_user()
            .user_pool_id(&pool.id)
            .username(account.email.as_str())
            .user_attributes(attribute("email", &account.email)?)
            .user_attributes(attribute("email_verified", "true")?)
            .user_attributes(attribute("name", &account.name)?)
            .user_attributes(attribute("custom:company", &account.company)?)
            // No mail from Cognito: the password is set right below, or the invitation
            // (our own mail, with our single-use link) leads to `set_password`.
            .message_action(MessageActionType::Suppress)
            .send()
            .await
            .map_err(|e| account_error(&e))?;
        let sub = created
            .user
            .and_then(|user| {
                user.attributes
                    .unwrap_or_default()
                    .into_iter()
                    .find(|a| a.name == "sub")
                    .and_then(|a| a.value)
            })
            .ok_or_else(|| AccountError::Other("Cognito answered a new user without a sub".into()))?;
        if let Some(password) = password {
            self.set_permanent_password(account.email.as_str(), password).await?;
        }
        for role in &account.roles {
            self.join_group(account.email.as_str(), *role, true).await?;
        }
        Ok((UserId::new(sub), Vec::new()))
    }

    /// AdminSetUserPassword (permanent: an invited user leaves FORCE_CHANGE_PASSWORD), then
    /// AdminUserGlobalSignOut: every refresh token the user had stops working.
    async fn set_password(&self, user: &User, password: &str) -> Result<Vec<Write>, AccountError> {
        self.set_permanent_password(user.email.as_str(), password).await?;
        self.sign_out_everywhere(user.email.as_str()).await?;
        Ok(Vec::new())
    }

    /// The pool signs in by the email attribute: changing it (verified, since the new
    /// address confirmed our link) moves the sign-in.
    async fn change_email(&self, user: &User, new_email: &Email) -> Result<(), AccountError> {
        self.set_attributes(
            user.email.as_str(),
            &[("email", new_email.as_str()), ("email_verified", "true")],
        )
        .await
    }

    /// Groups follow the roles; a deactivated user is disabled and signed out everywhere
    /// (their ID tokens hold until they expire, at most the template's `IdTokenValidity`),
    /// a reactivated one enabled again.
    async fn update(&self, before: &User, after: &User) -> Result<(), AccountError> {
        let username = after.email.as_str();
        if after.name != before.name {
            self.set_attributes(username, &[("name", &after.name)]).await?;
        }
        for role in after.roles.iter().filter(|r| !before.roles.contains(r)) {
            self.join_group(username, *role, true).await?;
        }
        for role in before.roles.iter().filter(|r| !after.roles.contains(r)) {
            self.join_group(username, *role, false).await?;
        }
        match (before.state, after.state) {
            (was, UserState::Deactivated) if was != UserState::Deactivated => {
                self.set_enabled(username, false).await?;
                self.sign_out_everywhere(username).await?;
            }
            (UserState::Deactivated, now) if now != UserState::Deactivated => {
                self.set_enabled(username, true).await?;
            }
            _ => {}
        }
        Ok(())
    }

    async fn sign_in(&self, email: &Email, password: &str) -> Result<Tokens, AccountError> {
        let result = self
            .authenticate(
                AuthFlowType::UserPasswordAuth,
                &[("USERNAME", email.as_str()), ("PASSWORD", password)],
            )
            .await?;
        match (result.id_token, result.refresh_token) {
            (Some(id_token), Some(refresh_token)) => Ok(Tokens {
                access_token: id_token,
                expires_in: i64::from(result.expires_in),
                refresh_token,
            }),
            _ => Err(AccountError::Refused),
        }
    }

    /// Cognito keeps the refresh token (no rotation): the same one is handed back.
    async fn refresh(&self, refresh_token: &str) -> Result<Tokens, AccountError> {
        let (id_token, _, expires_in) = self.refreshed(refresh_token).await?;
        Ok(Tokens {
            access_token: id_token,
            expires_in,
            refresh_token: refresh_token.to_string(),
        })
    }

    /// GlobalSignOut with an access token the refresh token gets: it ends every session of
    /// the user (Cognito's RevokeToken would end this one only, but the emulator the suite
    /// proves these calls against does not have it). Access and ID tokens already handed out
    /// hold until they expire (60 minutes, the template's `IdTokenValidity`).
    async fn sign_out(&self, refresh_token: &str) -> Result<(), AccountError> {
        let (_, access_token, _) = self.refreshed(refresh_token).await?;
        self.client
            .get()
            .global_sign_out()
            .access_token(access_token)
            .send()
            .await
            .map_err(|e| account_error(&e))?;
        Ok(())
    }
}
