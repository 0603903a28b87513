//! `/keys` routes (owner only).

use actix_web::{HttpRequest, HttpResponse, web};
use moss_domain::id::KeyId;
use moss_domain::key::service::{create_key, list_keys, revoke_key};
use moss_domain::key::{KeySort, NewKey};

use super::path_id;
use crate::auth::{Caller, OwnerRead, OwnerWrite};
use crate::error::ApiError;
use crate::input::{PAGINATION, Query};
use crate::mutation::Mutation;
use crate::{dto, respond};
use serde_json::Value;

/// `GET /keys`: active keys.
pub async fn list(caller: Caller<OwnerRead>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let input = Query::parse(&req, &PAGINATION).and_then(|mut q| {
        let page = q.page::<KeySort>();
        q.finish(page)
    });
    let (result, page) = caller
        .read(input, |tx, actor, page| Ok((list_keys(tx, actor, &page)?, page)))
        .await?;
    Ok(respond::list(result, page.page, page.per_page, dto::api_key))
}

/// `POST /keys`: a key for the calling member; the answer shows the secret once (a replay
/// shows `"key": null`).
pub async fn create(m: Mutation<OwnerWrite>) -> Result<HttpResponse, ApiError> {
    let mut b = m.json()?;
    let (name, scope, expires_at) = dto::key_input(&mut b);
    let parsed = NewKey::parse(
        name.as_deref().unwrap_or(""),
        scope.as_deref(),
        expires_at.as_deref(),
        moss_domain::time::now(),
    );
    let new = b.finish(parsed)?;
    m.run(
        move |tx, actor| create_key(tx, actor, new, None),
        |created| {
            let sent = dto::created_api_key(&created.key, Some(created.secret.expose()));
            let kept = dto::created_api_key(&created.key, None);
            respond::rendered_with_secret(201, sent, kept)
        },
    )
    .await
}

/// `DELETE /keys/{id}`: revoke; the key gets 401 from now on.
pub async fn revoke(m: Mutation<OwnerWrite>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = path_id(&path, KeyId::parse, "API key")?;
    m.run(
        move |tx, actor| revoke_key(tx, actor, id),
        |()| respond::rendered(200, None, Value::Null),
    )
    .await
}
