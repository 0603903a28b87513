//! [`Caller`]: the authenticated, authorized caller of a route, and the one way handlers
//! reach the store.

use std::marker::PhantomData;
use std::net::IpAddr;

use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, web};
use futures_util::future::{Ready, ready};
use moss_domain::key::KeySecret;
use moss_domain::key::service::authenticate;
use moss_domain::store::{RequestContext, Tx};
use moss_domain::{Actor, DomainError, Permission, Store};

use crate::AppState;
use crate::error::ApiError;
use crate::middleware::RequestId;
use crate::ratelimit::RateHeaders;

/// The header carrying the API key.
pub const API_KEY: &str = "x-api-key";

/// A permission a route needs, as a type, so the check runs in the extractor: after
/// authentication and before the body is read.
pub trait Access: Send + Sync + 'static {
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

/// The caller of a route, to be authenticated by `X-API-Key` and checked for permission `P`.
///
/// The extractor refuses a missing or malformed key at once (no database work). A well-formed
/// key is looked up in the same trip to the database as the route's work: [`Caller::read`]
/// runs the key lookup, the rate limit, the permission check, the route's input check and the
/// use case, in that order, on one pooled connection in one job on a database thread ([`crate::db::DbThreads`]).
/// Mutations call [`Caller::admit`] first, so the caller is decided before the body is read.
#[derive(Debug)]
pub struct Caller<P> {
    key: String,
    request_id: String,
    ip: Option<IpAddr>,
    req: HttpRequest,
    state: AppState,
    _access: PhantomData<P>,
}

/// A caller that passed authentication, the rate limit and the permission check.
#[derive(Debug)]
pub struct Admitted {
    /// Who is calling, and for the audit log from where.
    pub ctx: RequestContext,
    state: AppState,
}

/// Runs synchronous store work on a database thread (waiting at most `MOSS_DB_TIMEOUT` to start).
pub async fn blocking<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&(dyn Store + 'static)) -> moss_domain::Result<T> + Send + 'static,
) -> Result<T, ApiError> {
    let store = state.store.clone();
    state.db.run(move || f(&*store)).await?.map_err(ApiError::from)
}

impl<P: Access> FromRequest for Caller<P> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Self::extract(req))
    }
}

/// What the blocking part of a request decided: the rate-limit headers to send (once the key
/// is known) and the outcome.
struct Decided<T> {
    headers: Option<RateHeaders>,
    outcome: Result<T, ApiError>,
}

impl<P: Access> Caller<P> {
    fn extract(req: &HttpRequest) -> Result<Self, ApiError> {
        let state = req
            .app_data::<web::Data<AppState>>()
            .map(|d| d.get_ref().clone())
            .ok_or_else(|| ApiError::internal("AppState missing"))?;
        let ip = state.trusted_proxies.client_ip(req);
        // Malformed keys (prefix, checksum) are refused without touching the database, and so
        // is a request with two keys: which one would speak for it is ambiguous.
        let mut sent = req.headers().get_all(API_KEY);
        let key = match (sent.next(), sent.next()) {
            (Some(v), None) => v
                .to_str()
                .ok()
                .filter(|k| KeySecret::parse(k).is_some())
                .map(str::to_owned),
            _ => None,
        };
        let Some(key) = key else {
            return Err(Self::refused(&state, ip, ApiError::unauthorized()));
        };
        Ok(Self {
            key,
            request_id: RequestId::of(req).0,
            ip,
            req: req.clone(),
            state,
            _access: PhantomData,
        })
    }

    /// Repeated authentication failures from one address are slowed down: 429 instead of 401.
    fn refused(state: &AppState, ip: Option<IpAddr>, e: ApiError) -> ApiError {
        if e.code != "UNAUTHORIZED" {
            return e;
        }
        match state.limits.check_auth_failure(ip) {
            Ok(()) => e,
            Err(too_many) => too_many,
        }
    }

    /// Authentication, then rate limit, then scope and role, then the route's input and work;
    /// run on a database thread with the lookup's connection. The rate-limit headers are
    /// returned whenever the key was known, refused or not.
    fn decide<I, T>(
        tx: &mut dyn Tx,
        state: &AppState,
        key: &str,
        ctx: impl FnOnce(Actor) -> RequestContext,
        input: Result<I, ApiError>,
        work: impl FnOnce(&mut dyn Tx, &RequestContext, I) -> Result<T, DomainError>,
    ) -> Decided<T> {
        let actor = match authenticate(tx, key) {
            Ok(actor) => actor,
            Err(e) => {
                return Decided {
                    headers: None,
                    outcome: Err(e.into()),
                };
            }
        };
        let Some(key_id) = actor.key_id else {
            return Decided {
                headers: None,
                outcome: Err(ApiError::internal("API caller without a key")),
            };
        };
        let headers = match state.limits.check_key(key_id) {
            Ok(headers) => headers,
            Err(limited) => {
                let (too_many, headers) = *limited;
                return Decided {
                    headers: Some(headers),
                    outcome: Err(too_many),
                };
            }
        };
        let outcome = actor
            .authorize(P::PERMISSION)
            .map_err(ApiError::from)
            .and(input)
            .and_then(|input| {
                let ctx = ctx(actor);
                work(tx, &ctx, input).map_err(ApiError::from)
            });
        Decided {
            headers: Some(headers),
            outcome,
        }
    }

    /// Runs `decide` in one job on a database thread and applies its headers and refusals.
    async fn run<I: Send + 'static, T: Send + 'static>(
        self,
        input: Result<I, ApiError>,
        work: impl FnOnce(&mut dyn Tx, &RequestContext, I) -> Result<T, DomainError> + Send + 'static,
    ) -> Result<(T, AppState), ApiError> {
        let Self {
            key,
            request_id,
            ip,
            req,
            state,
            ..
        } = self;
        let shared = state.clone();
        let ip_text = ip.map(|a| a.to_string());
        let decided = state
            .db
            .run(move || {
                let ctx = |actor| RequestContext {
                    actor,
                    request_id,
                    ip: ip_text,
                    renderer: shared.renderer.clone(),
                };
                shared
                    .store
                    .read(|tx| Ok(Self::decide(tx, &shared, &key, ctx, input, work)))
                    .unwrap_or_else(|e| Decided {
                        headers: None,
                        outcome: Err(e.into()),
                    })
            })
            .await?;
        if let Some(headers) = decided.headers {
            req.extensions_mut().insert(headers);
        }
        match decided.outcome {
            Ok(value) => Ok((value, state)),
            Err(e) => Err(Self::refused(&state, ip, e)),
        }
    }

    /// Authenticates and authorizes the caller (one hop to the database), for a mutation that
    /// then reads its body and runs its unit of work.
    pub async fn admit(self) -> Result<Admitted, ApiError> {
        let (ctx, state) = self.run(Ok(()), |_, ctx, ()| Ok(ctx.clone())).await?;
        Ok(Admitted { ctx, state })
    }

    /// Runs a read use case after the caller's checks and the route's `input` check, all in
    /// one hop on one connection.
    pub async fn read<I: Send + 'static, T: Send + 'static>(
        self,
        input: Result<I, ApiError>,
        f: impl FnOnce(&mut dyn Tx, &Actor, I) -> Result<T, DomainError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let (value, _) = self.run(input, move |tx, ctx, input| f(tx, &ctx.actor, input)).await?;
        Ok(value)
    }
}

impl Admitted {
    /// The authenticated actor.
    pub fn actor(&self) -> &Actor {
        &self.ctx.actor
    }

    /// The shared state.
    pub fn state(&self) -> &AppState {
        &self.state
    }
}
