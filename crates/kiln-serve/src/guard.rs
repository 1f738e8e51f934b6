//! Who may reach which route: the checks every request passes before its handler, in order
//! (the threat model they implement is in ARCHITECTURE.md, "Who can reach what"):
//!
//! 1. On a loopback listener, `Host` must name it (`127.0.0.1:PORT`, `localhost:PORT`,
//!    `[::1]:PORT`): a web page that rebinds its own DNS name to 127.0.0.1 still sends its own
//!    name, and is refused.
//! 2. A browser's cross-site request to a route that is not `GET`/`HEAD` is refused
//!    (`Sec-Fetch-Site: cross-site|same-site`, or an `Origin` other than the server's own).
//!    There is no CORS, so a browser never sends a token or a JSON body across sites either.
//! 3. Every route except the health probes needs the bearer token when one is set. A browser
//!    on the UI (`/ui/…`, `GET` and `HEAD` only) may show it instead as the `kiln_session`
//!    cookie that `/ui/login?token=…` sets (`HttpOnly`, `SameSite=Strict`, `Path=/ui`).
//! 4. The admin routes are off unless a token is set, or [`AdminAccess::Loopback`] is chosen
//!    and the listener is loopback.
//! 5. Without a token, the routes that change state (`/admin/*`, `/feedback`, the MLflow
//!    tracking API's `POST`s) take only `application/json`, which an HTML form cannot send.
//!
//! [`AdminAccess::Loopback`]: crate::AdminAccess::Loopback

use std::net::{IpAddr, SocketAddr};

use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};

use crate::error::ApiError;
use crate::state::AppState;

/// Routes that answer without a token: liveness and readiness probes, and the UI's login
/// (which checks the token it is given).
const PUBLIC: &[&str] = &[
    "/ping",
    "/health",
    "/v2/health/live",
    "/v2/health/ready",
    "/ui/login",
];

/// The UI's session cookie.
pub(crate) const SESSION_COOKIE: &str = "kiln_session";

/// The value of the `kiln_session` cookie, if the request carries one.
fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (k, v) = pair.trim().split_once('=')?;
            (k == SESSION_COOKIE).then_some(v)
        })
}

/// One request as the guard sees it.
pub(crate) struct Visitor<'a> {
    pub(crate) method: &'a Method,
    /// The path as sent.
    pub(crate) path: &'a str,
    /// The route it matched (`/admin/models/{name}/reload`), if any.
    pub(crate) route: Option<&'a str>,
    pub(crate) headers: &'a HeaderMap,
}

/// Lets the request through, or says why not.
pub(crate) fn check(
    state: &AppState,
    listening: Option<SocketAddr>,
    visitor: &Visitor<'_>,
) -> Result<(), ApiError> {
    if let Some(addr) = listening.filter(|a| a.ip().is_loopback()) {
        check_host(addr, visitor.headers)?;
    }
    let changes_state = !matches!(*visitor.method, Method::GET | Method::HEAD);
    if changes_state {
        refuse_cross_site(visitor.headers)?;
    }
    if PUBLIC.contains(&visitor.path) {
        return Ok(());
    }
    let ui_session = !changes_state
        && (visitor.path == "/ui" || visitor.path.starts_with("/ui/"))
        && session_cookie(visitor.headers).is_some_and(|c| state.authorized_cookie(Some(c)));
    if !ui_session
        && !state.authorized(
            visitor
                .headers
                .get(header::AUTHORIZATION)
                .map(HeaderValue::as_bytes),
        )
    {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "UNAUTHENTICATED",
            "missing or wrong bearer token: send `Authorization: Bearer <token>`",
        ));
    }
    let is = |prefix: &str| {
        visitor.path.starts_with(prefix) || visitor.route.is_some_and(|r| r.starts_with(prefix))
    };
    let admin = is("/admin");
    if admin && !state.admin_enabled(listening) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "PERMISSION_DENIED",
            "the admin routes are off: start the server with a token (--token-file), or with \
             --admin-loopback on a loopback address",
        ));
    }
    // MLflow's tracking API (`--tracking`) posts JSON only; its artifact uploads are `PUT`s,
    // which no HTML form can send.
    let tracking_post =
        *visitor.method == Method::POST && (is("/api/2.0/mlflow/") || is("/api/3.0/mlflow/"));
    if changes_state && !state.has_token() && (admin || is("/feedback") || tracking_post) {
        require_json(visitor.headers)?;
    }
    Ok(())
}

fn forbidden(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, "PERMISSION_DENIED", message)
}

/// Refuses a `Host` that does not name the loopback listener at `addr` (DNS rebinding).
fn check_host(addr: SocketAddr, headers: &HeaderMap) -> Result<(), ApiError> {
    let names_us = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .is_some_and(|host| names_loopback(host, addr.port()));
    if names_us {
        Ok(())
    } else {
        let port = addr.port();
        Err(forbidden(format!(
            "this server answers only requests for 127.0.0.1:{port}, localhost:{port} or \
             [::1]:{port} (the Host header names another server)"
        )))
    }
}

/// Whether a `Host` value is `localhost` or a loopback address literal, at `port`.
fn names_loopback(host: &str, port: u16) -> bool {
    let (name, given_port) = if let Some(rest) = host.strip_prefix('[') {
        let Some((inside, after)) = rest.split_once(']') else {
            return false;
        };
        match after {
            "" => (inside, None),
            _ => match after.strip_prefix(':') {
                Some(p) => (inside, Some(p)),
                None => return false,
            },
        }
    } else {
        match host.split_once(':') {
            Some((name, p)) => (name, Some(p)),
            None => (host, None),
        }
    };
    let port_matches = match given_port {
        // Without a port the client means HTTP's default.
        None => port == 80,
        Some(p) => p.parse::<u16>().is_ok_and(|p| p == port),
    };
    port_matches
        && (name.eq_ignore_ascii_case("localhost")
            || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback()))
}

/// Refuses a browser's request made from another site's page.
fn refuse_cross_site(headers: &HeaderMap) -> Result<(), ApiError> {
    let refused = || {
        forbidden(
            "cross-site requests from a browser may not change anything on this server \
             (it allows no other origin)",
        )
    };
    let site = headers
        .get("sec-fetch-site")
        .map(|s| s.as_bytes().to_ascii_lowercase());
    if site.is_some_and(|s| s == b"cross-site" || s == b"same-site") {
        return Err(refused());
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
        let origin = origin.to_str().unwrap_or("null");
        let own = host.is_some_and(|h| {
            ["http", "https"]
                .iter()
                .any(|scheme| origin.eq_ignore_ascii_case(&format!("{scheme}://{h}")))
        });
        if !own {
            return Err(refused());
        }
    }
    Ok(())
}

/// Requires `content-type: application/json`.
fn require_json(headers: &HeaderMap) -> Result<(), ApiError> {
    let media = headers
        .get(header::CONTENT_TYPE)
        .and_then(|c| c.to_str().ok())
        .and_then(|c| c.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase());
    if media.as_deref() == Some("application/json") {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "BAD_REQUEST",
            format!(
                "this route changes the server's state and takes only `content-type: \
                 application/json` (found {}), so that a web page's form cannot post to it",
                media.map_or_else(|| "none".to_string(), |m| format!("`{m}`"))
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts_need_the_right_port() {
        for host in [
            "127.0.0.1:8080",
            "localhost:8080",
            "LocalHost:8080",
            "[::1]:8080",
            "127.0.0.2:8080",
        ] {
            assert!(names_loopback(host, 8080), "{host}");
        }
        for host in [
            "127.0.0.1:8081",
            "localhost",
            "evil.example:8080",
            "localhost.evil.example:8080",
            "10.0.0.1:8080",
            "[::1]8080",
            "::1:8080",
            "[::2]:8080",
            "127.0.0.1:8080:1",
            "",
        ] {
            assert!(!names_loopback(host, 8080), "{host}");
        }
        assert!(names_loopback("localhost", 80));
    }

    #[test]
    fn same_origin_browser_requests_pass_and_others_do_not() {
        let headers = |pairs: &[(&'static str, &'static str)]| {
            let mut h = HeaderMap::new();
            for (k, v) in pairs {
                h.insert(*k, HeaderValue::from_static(v));
            }
            h
        };
        let host = ("host", "127.0.0.1:8080");
        assert!(refuse_cross_site(&headers(&[host])).is_ok());
        assert!(refuse_cross_site(&headers(&[host, ("origin", "http://127.0.0.1:8080")])).is_ok());
        assert!(refuse_cross_site(&headers(&[host, ("sec-fetch-site", "same-origin")])).is_ok());
        assert!(refuse_cross_site(&headers(&[host, ("sec-fetch-site", "none")])).is_ok());
        for bad in [
            headers(&[host, ("origin", "http://evil.example")]),
            headers(&[host, ("origin", "null")]),
            headers(&[host, ("origin", "http://127.0.0.1:8081")]),
            headers(&[host, ("sec-fetch-site", "cross-site")]),
            headers(&[host, ("sec-fetch-site", "same-site")]),
            headers(&[("origin", "http://127.0.0.1:8080")]),
        ] {
            assert!(refuse_cross_site(&bad).is_err(), "{bad:?}");
        }
    }
}
