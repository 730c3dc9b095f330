//! Builds the actix App (middleware, routes, docs, fallbacks) and runs the server.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, ResponseError, web};
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::config::Settings;
use crate::crypto::Keys;
use crate::db::{self, Db};
use crate::error::ApiError;
use crate::http::{extract, middleware};
use crate::openapi::{self, ApiDoc};
use crate::state::AppState;

/// The application with all routes, for the server and for tests.
pub fn build(
    state: web::Data<AppState>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let (app, api) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .app_data(state)
        .app_data(extract::json_config())
        .app_data(extract::path_config())
        .app_data(extract::query_config())
        .configure(crate::routes::configure)
        .split_for_parts();
    let mut api = api;
    openapi::finish(&mut api);
    let operations = Arc::new(openapi::operations(&api));
    app.service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", api))
        .route(
            "/docs",
            web::get().to(|| async {
                HttpResponse::PermanentRedirect()
                    .insert_header((header::LOCATION, "/docs/"))
                    .finish()
            }),
        )
        .configure(crate::web::configure)
        .default_service(web::to(move |req: HttpRequest| {
            let operations = operations.clone();
            async move { fallback(&req, &operations) }
        }))
        .wrap(from_fn(middleware::request_context))
}

/// 405 with `Allow` when the path exists with other methods, else 404.
fn fallback(req: &HttpRequest, operations: &[(String, String)]) -> HttpResponse {
    let path = req.path();
    let matching: Vec<&(String, String)> = operations
        .iter()
        .filter(|(_, template)| openapi::path_matches(template, path))
        .collect();
    // A literal path (`/persons/search`) is its own resource, not a value of a sibling's
    // parameter (`/persons/{person_id}`): its methods alone are allowed.
    let literal = matching.iter().any(|(_, t)| !t.contains('{'));
    let allowed: Vec<&str> = matching
        .iter()
        .filter(|(_, t)| !literal || !t.contains('{'))
        .map(|(m, _)| m.as_str())
        .collect();
    if allowed.is_empty() {
        return ApiError::NotFound.error_response();
    }
    let mut res = ApiError::MethodNotAllowed.error_response();
    if let Ok(v) = header::HeaderValue::from_str(&allowed.join(", ")) {
        res.headers_mut().insert(header::ALLOW, v);
    }
    res
}

/// Open the pool, migrate, make sure the platform admin exists. Returns the state and, on a
/// first start with a generated password, that password (to be shown once).
pub fn prepare(
    settings: Settings,
    mut keys: Keys,
) -> Result<(AppState, Option<crate::bootstrap::FirstStart>), String> {
    let backend = settings.backend();
    let pool = db::build_pool(
        &settings.database_url,
        settings.pool_size,
        settings.db_timeout,
    )?;
    let mut conn = pool
        .get()
        .map_err(|e| format!("DATABASE_URL: cannot connect: {e}"))?;
    if settings.migrate_on_start {
        crate::persons::split::migrate(&mut conn, &keys)
            .map_err(|e| format!("migrations failed: {e}"))?;
    }
    crate::keys_rotation::retired::enforce(&mut conn, &mut keys)?;
    let first = crate::bootstrap::ensure_platform_admin(
        &mut conn,
        settings.bootstrap_admin_password.as_deref(),
    )
    .map_err(|e| format!("bootstrap failed: {e}"))?;
    drop(conn);
    Ok((
        AppState::new(Db::new(pool, backend), keys, settings)?,
        first,
    ))
}

/// `kvar serve`: run until SIGTERM or Ctrl-C, then drain in-flight requests.
pub async fn serve(settings: Settings, keys: Keys) -> Result<(), String> {
    let started = std::time::Instant::now();
    crate::metrics::init();
    middleware::install_panic_hook();
    let bind = settings.bind;
    let workers = settings.workers;
    let backend = settings.backend();
    let (state, first) = prepare(settings, keys)?;
    let stop_background = Arc::new(AtomicBool::new(false));
    let purger = crate::integrations::idempotency::spawn_purger(
        state.db.pool().clone(),
        std::time::Duration::from_secs(600),
        stop_background.clone(),
    );
    let retention = crate::retention::daily::spawn(
        state.db.pool().clone(),
        (*state.settings).clone(),
        stop_background.clone(),
    );
    let sealer = crate::audit::sealer::spawn(
        state.db.clone(),
        state.keys.audit.clone(),
        state.checkpoints.clone(),
        stop_background.clone(),
    );
    let access_sealer = crate::audit::access_seal::spawn(
        state.db.clone(),
        state.keys.audit.clone(),
        stop_background.clone(),
    );
    let data = web::Data::new(state.clone());
    let server = HttpServer::new(move || build(data.clone()))
        .workers(workers)
        .disable_signals()
        // The grace period plus this stays under the 30 s a container runtime waits by default.
        .shutdown_timeout(20)
        .client_request_timeout(std::time::Duration::from_secs(10))
        .bind(bind)
        .map_err(|e| format!("KVAR_BIND: cannot listen on {bind}: {e}"))?
        .run();
    let handle = server.handle();
    let flag = state.shutting_down.clone();
    let grace = state.settings.shutdown_grace;
    actix_web::rt::spawn(async move {
        wait_for_signal().await;
        // Readiness answers 503 at once; requests are still served for the grace period so a
        // load balancer can take the instance out of rotation before the listener closes.
        flag.store(true, Ordering::Relaxed);
        tracing::info!(
            grace_ms = grace.as_millis() as u64,
            "shutting down: readiness 503, then draining in-flight requests"
        );
        actix_web::rt::time::sleep(grace).await;
        handle.stop(true).await;
    });
    println!(
        "kvar listening on http://{bind} ({} database), ready in {} ms",
        backend.as_str(),
        started.elapsed().as_millis()
    );
    println!("API reference: http://{bind}/docs/");
    match first {
        Some(crate::bootstrap::FirstStart::Generated(pw)) => println!(
            "First start: created the platform admin. Sign in with POST /api/v1/auth/login as \
             username \"admin\", password \"{pw}\" (shown once; change it with PATCH /api/v1/users/{{id}})."
        ),
        Some(crate::bootstrap::FirstStart::FromEnvironment) => println!(
            "First start: created the platform admin. Sign in as username \"admin\" with the \
             password from KVAR_BOOTSTRAP_ADMIN_PASSWORD."
        ),
        None => {}
    }
    let result = server.await.map_err(|e| e.to_string());
    stop_background.store(true, Ordering::Relaxed);
    let _ = web::block(move || {
        (
            access_sealer.join(),
            sealer.join(),
            purger.join(),
            retention.join(),
        )
    })
    .await;
    result
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {},
                    _ = tokio::signal::ctrl_c() => {},
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
