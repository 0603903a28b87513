//! The human docs page at `/docs`: Swagger UI over the OpenAPI document, shipped inside the
//! binary (utoipa-swagger-ui's `vendored` files), so it works offline and loads nothing from
//! another host. Assets are served with validators and caching headers, compressed when the
//! client accepts it; any method but GET answers 405 with `Allow: GET`.

use actix_web::http::header::{self, ETag, EntityTag};
use actix_web::{HttpRequest, HttpResponse, web};

use crate::openapi::{DOCS_PATH, SPEC_PATH};

/// Swagger UI's script, whose built-in default `validatorUrl` names an outside host.
const BUNDLE: &str = "swagger-ui-bundle.js";
/// That default (a quoted string in the script), and what it is replaced with: `"none"`, as
/// the page's configuration says too.
const VALIDATOR_DEFAULT: (&str, &str) = ("\"https://validator.swagger.io/validator\"", "\"none\"");
/// The page's title as shipped, and ours.
const TITLE: (&str, &str) = ("<title>Swagger UI</title>", "<title>Moss API</title>");
/// How long a browser may reuse an asset without asking again (they change only with the binary).
const MAX_AGE: &str = "public, max-age=86400";

/// Registers `/docs` (a redirect to `/docs/`) and `/docs/{file}`.
pub fn register(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource(DOCS_PATH)
            .route(web::get().to(|| async {
                HttpResponse::PermanentRedirect()
                    .insert_header((header::LOCATION, format!("{DOCS_PATH}/")))
                    .finish()
            }))
            .default_service(web::to(crate::routes::only_get)),
    );
    cfg.service(
        web::resource(format!("{DOCS_PATH}/{{file:.*}}"))
            .wrap(actix_web::middleware::Compress::default())
            .route(web::get().to(asset))
            .default_service(web::to(crate::routes::only_get)),
    );
}

fn swagger_config() -> utoipa_swagger_ui::Config<'static> {
    utoipa_swagger_ui::Config::from(SPEC_PATH)
        .validator_url("none")
        .try_it_out_enabled(true)
        .persist_authorization(false)
}

/// One file of the page, as served: content type, bytes and their entity tag.
struct Asset {
    content_type: String,
    bytes: web::Bytes,
    etag: EntityTag,
}

/// The file at `path` (`""` is the page itself), patched where Moss differs from the shipped
/// Swagger UI. Built once per file.
fn load(path: &str) -> Option<Asset> {
    let path = if path.is_empty() { "index.html" } else { path };
    let file = utoipa_swagger_ui::serve(path, std::sync::Arc::new(swagger_config())).ok()??;
    let bytes = match path {
        BUNDLE => String::from_utf8_lossy(&file.bytes)
            .replace(VALIDATOR_DEFAULT.0, VALIDATOR_DEFAULT.1)
            .into_bytes(),
        "index.html" => String::from_utf8_lossy(&file.bytes)
            .replace(TITLE.0, TITLE.1)
            .into_bytes(),
        _ => file.bytes.into_owned(),
    };
    let etag = EntityTag::new_strong(format!("{:08x}-{}", crc32fast::hash(&bytes), env!("CARGO_PKG_VERSION")));
    Some(Asset {
        content_type: file.content_type,
        bytes: bytes.into(),
        etag,
    })
}

/// `GET /docs/{file}`; 304 when the browser's copy is current.
async fn asset(req: HttpRequest, path: web::Path<String>) -> Result<HttpResponse, crate::ApiError> {
    type Loaded = std::collections::HashMap<String, Option<std::sync::Arc<Asset>>>;
    static CACHE: std::sync::LazyLock<std::sync::Mutex<Loaded>> = std::sync::LazyLock::new(Default::default);
    let name = path.into_inner();
    let asset = {
        let mut cache = CACHE.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        cache
            .entry(name.clone())
            .or_insert_with(|| load(&name).map(std::sync::Arc::new))
            .clone()
    };
    let Some(asset) = asset else {
        return Err(crate::ApiError::not_found("No such file."));
    };
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == asset.etag.to_string()));
    let mut b = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    b.insert_header(ETag(asset.etag.clone()))
        .insert_header((header::CACHE_CONTROL, MAX_AGE));
    if fresh {
        return Ok(b.finish());
    }
    Ok(b.content_type(asset.content_type.as_str()).body(asset.bytes.clone()))
}
