//! The HTTP edge: one axum router with the portal (server-rendered Leptos pages, their server
//! functions, the built site's files) and the REST API.

mod answer;
mod api;
mod error;

use std::net::SocketAddr;
use std::path::Path;

use app::{App, shell};
use atrium_platform::Platform;
use axum::Router;
use axum::extract::FromRef;
use leptos::config::{Env, LeptosOptions};
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower_http::compression::CompressionLayer;
use tower_http::trace::TraceLayer;

pub use error::HttpError;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub platform: Platform,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// The options Leptos renders with: the built site under `site_root`, bundle name `atrium`.
pub fn leptos_options(site_root: &Path, addr: SocketAddr) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("atrium")
        .site_root(site_root.to_string_lossy().as_ref())
        .site_pkg_dir("pkg")
        .site_addr(addr)
        .env(Env::PROD)
        .build()
}

/// The whole application: the REST API under `/api/v1`, `/healthz`, and the portal.
pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let platform = state.platform.clone();
    let options = state.leptos_options.clone();
    Router::new()
        .merge(api::router())
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(platform.clone()),
            move || shell(options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Serves until Ctrl-C or SIGTERM, letting requests in flight finish.
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown_signal())
        .await
}

async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
    tracing::info!("shutting down");
}
