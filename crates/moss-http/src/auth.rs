//! [`Caller`]: the authenticated, authorized caller of a route, and the one way handlers
//! reach the store.

use std::marker::PhantomData;

use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, web};
use futures_util::future::LocalBoxFuture;
use moss_domain::key::KeySecret;
use moss_domain::key::service::authenticate;
use moss_domain::store::{RequestContext, Tx};
use moss_domain::{Actor, DomainError, Permission, Store};

use crate::AppState;
use crate::error::ApiError;
use crate::middleware::RequestId;

/// The header carrying the API key.
pub const API_KEY: &str = "x-api-key";

/// A permission a route needs, as a type, so the check runs in the extractor: after
/// authentication and before the body is read.
pub trait Access {
    /// The permission.
    const PERMISSION: Permission;
}

/// Read CRM data.
#[derive(Debug)]
pub struct Read;
/// Change CRM data.
#[derive(Debug)]
pub struct Write;
/// Read owner-only data.
#[derive(Debug)]
pub struct OwnerRead;
/// Change owner-only data.
#[derive(Debug)]
pub struct OwnerWrite;

impl Access for Read {
    const PERMISSION: Permission = Permission::Read;
}
impl Access for Write {
    const PERMISSION: Permission = Permission::Write;
}
impl Access for OwnerRead {
    const PERMISSION: Permission = Permission::OwnerRead;
}
impl Access for OwnerWrite {
    const PERMISSION: Permission = Permission::OwnerWrite;
}

/// The caller of a route: authenticated by `X-API-Key` and holding permission `P`.
#[derive(Debug)]
pub struct Caller<P> {
    /// Who is calling, and for the audit log from where.
    pub ctx: RequestContext,
    state: AppState,
    _access: PhantomData<P>,
}

/// Runs synchronous store work on the blocking pool.
pub async fn blocking<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&(dyn Store + 'static)) -> moss_domain::Result<T> + Send + 'static,
) -> Result<T, ApiError> {
    let store = state.store.clone();
    web::block(move || f(&*store))
        .await
        .map_err(|e| ApiError::internal(&e.to_string()))?
        .map_err(ApiError::from)
}

impl<P: Access> FromRequest for Caller<P> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().map(|d| d.get_ref().clone());
        let presented = req
            .headers()
            .get(API_KEY)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let request_id = RequestId::of(req).0;
        let ip = state.as_ref().and_then(|s| s.trusted_proxies.client_ip(req));
        let ip_text = ip.map(|a| a.to_string());
        let extensions = req.clone();
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::internal("AppState missing"))?;
            // Malformed keys (prefix, checksum) are refused without touching the database.
            let actor = match presented.filter(|k| KeySecret::parse(k).is_some()) {
                Some(key) => blocking(&state, move |store| store.read(|tx| authenticate(tx, &key))).await,
                None => Err(ApiError::unauthorized()),
            };
            let actor = match actor {
                Ok(actor) => actor,
                Err(e) if e.code == "UNAUTHORIZED" => {
                    // Repeated failures from one address are slowed down: 429 instead of 401.
                    state.limits.check_auth_failure(ip)?;
                    return Err(e);
                }
                Err(e) => return Err(e),
            };
            // Check order: authentication, then rate limit, then scope and role.
            let key_id = actor
                .key_id
                .ok_or_else(|| ApiError::internal("API caller without a key"))?;
            match state.limits.check_key(key_id) {
                Ok(headers) => {
                    extensions.extensions_mut().insert(headers);
                }
                Err(limited) => {
                    let (too_many, headers) = *limited;
                    extensions.extensions_mut().insert(headers);
                    return Err(too_many);
                }
            }
            actor.authorize(P::PERMISSION).map_err(ApiError::from)?;
            Ok(Self {
                ctx: RequestContext {
                    actor,
                    request_id,
                    ip: ip_text,
                },
                state,
                _access: PhantomData,
            })
        })
    }
}

impl<P> Caller<P> {
    /// The authenticated actor.
    pub fn actor(&self) -> &Actor {
        &self.ctx.actor
    }

    /// The shared state.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Runs a read use case.
    pub async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut dyn Tx, &Actor) -> Result<T, DomainError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let actor = self.ctx.actor.clone();
        blocking(&self.state, move |store| store.read(|tx| f(tx, &actor))).await
    }
}
