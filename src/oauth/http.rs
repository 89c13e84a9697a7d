//! The HTTP transport for everything OAuth: reqwest 0.13 over rustls (ring),
//! system roots plus an optional extra CA, no redirects followed (OAuth
//! endpoints must not be redirected), `https://` everywhere except loopback.
//! Also the adapter that lets the `oauth2` crate send its requests through it.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use anyhow::Context;
use url::{Host, Url};

use crate::cli::exit::{Exit, failure};

/// Allows `https://` URLs, and `http://` only to loopback hosts.
pub fn check_url(url: &Url, what: &str) -> anyhow::Result<()> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(url) => Ok(()),
        "http" => Err(failure(
            Exit::Usage,
            format!(
                "{what} {url} must use https:// (plain http:// is allowed only for loopback hosts)"
            ),
        )),
        other => Err(failure(
            Exit::Usage,
            format!("{what} {url} has scheme {other}:, expected https://"),
        )),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// Parses a URL given by a person or a document and applies [`check_url`].
pub fn parse_url(text: &str, what: &str) -> anyhow::Result<Url> {
    let url = Url::parse(text)
        .map_err(|e| failure(Exit::Usage, format!("{what} {text:?} is not a URL: {e}")))?;
    check_url(&url, what)?;
    Ok(url)
}

/// The HTTP client of one command.
#[derive(Clone)]
pub struct Http {
    client: reqwest::Client,
}

impl Http {
    /// A client trusting the system's roots plus `extra_ca` (PEM, one or more
    /// certificates); each request gives up after `timeout`.
    pub fn new(extra_ca: Option<&str>, timeout: Duration) -> anyhow::Result<Http> {
        // Several commands may ask; only the first install counts.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            // OAuth requests are seconds apart (polling): a pooled connection
            // would often meet the server's keep-alive timeout.
            .pool_max_idle_per_host(0)
            .timeout(timeout)
            .connect_timeout(timeout)
            .user_agent(concat!("ocf-mediator/", env!("CARGO_PKG_VERSION")));
        if let Some(pem) = extra_ca {
            let certs = reqwest::Certificate::from_pem_bundle(pem.as_bytes())
                .context("the CA file holds no PEM certificate")?;
            builder = builder.tls_certs_merge(certs);
        }
        let client = builder.build().context("cannot set up the HTTPS client")?;
        Ok(Http { client })
    }

    /// GETs a JSON document; errors name the URL and what was wrong.
    pub async fn get_json(&self, url: &Url, what: &str) -> anyhow::Result<serde_json::Value> {
        check_url(url, what)?;
        let response = self
            .client
            .get(url.clone())
            .header(http::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| transport_error(&e, url, what))?;
        let status = response.status();
        if !status.is_success() {
            return Err(failure(
                Exit::Failed,
                format!("{what} {url} answered HTTP {status}"),
            ));
        }
        let body = response
            .bytes()
            .await
            .map_err(|e| transport_error(&e, url, what))?;
        serde_json::from_slice(&body).map_err(|e| {
            failure(
                Exit::Failed,
                format!("{what} {url} is not a JSON document: {e}"),
            )
        })
    }

    /// POSTs a form, with HTTP Basic client authentication when a secret is
    /// given (else `client_id` in the form, as for public clients). Returns
    /// the status; errors name the URL, never the form.
    pub async fn post_form(
        &self,
        url: &Url,
        what: &str,
        client_id: &str,
        secret: Option<&str>,
        form: &[(&str, &str)],
    ) -> anyhow::Result<http::StatusCode> {
        check_url(url, what)?;
        let mut fields: Vec<(&str, &str)> = form.to_vec();
        let mut request = self.client.post(url.clone());
        match secret {
            Some(secret) => request = request.basic_auth(client_id, Some(secret)),
            None => fields.push(("client_id", client_id)),
        }
        let response = request
            .form(&fields)
            .send()
            .await
            .map_err(|e| transport_error(&e, url, what))?;
        Ok(response.status())
    }

    /// Sends one request for the `oauth2` crate.
    pub async fn send(
        &self,
        request: oauth2::HttpRequest,
    ) -> Result<oauth2::HttpResponse, HttpError> {
        let url = Url::parse(&request.uri().to_string()).map_err(|e| HttpError(e.to_string()))?;
        if let Err(e) = check_url(&url, "the OAuth endpoint") {
            return Err(HttpError(e.to_string()));
        }
        let (parts, body) = request.into_parts();
        let response = self
            .client
            .request(parts.method, url.clone())
            .headers(parts.headers)
            .body(body)
            .send()
            .await
            .map_err(|e| HttpError::from_reqwest(&e, &url))?;
        let mut builder = http::Response::builder().status(response.status());
        for (name, value) in response.headers() {
            builder = builder.header(name, value);
        }
        let body = response
            .bytes()
            .await
            .map_err(|e| HttpError::from_reqwest(&e, &url))?;
        builder
            .body(body.to_vec())
            .map_err(|e| HttpError(e.to_string()))
    }
}

impl<'c> oauth2::AsyncHttpClient<'c> for Http {
    type Error = HttpError;
    type Future = Pin<Box<dyn Future<Output = Result<oauth2::HttpResponse, HttpError>> + 'c>>;

    fn call(&'c self, request: oauth2::HttpRequest) -> Self::Future {
        Box::pin(self.send(request))
    }
}

/// A transport failure under the `oauth2` crate. Its text names the URL
/// (never a body: bodies carry secrets); `timed_out` picks exit 4.
#[derive(Debug)]
pub struct HttpError(pub String);

impl HttpError {
    fn from_reqwest(error: &reqwest::Error, url: &Url) -> HttpError {
        let prefix = if error.is_timeout() {
            "timed out: "
        } else {
            ""
        };
        HttpError(format!("{prefix}cannot reach {url}: {}", cause(error)))
    }

    pub fn timed_out(&self) -> bool {
        self.0.starts_with("timed out: ")
    }
}

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for HttpError {}

/// The innermost cause of a reqwest error (its own text repeats the URL).
fn cause(error: &reqwest::Error) -> String {
    let mut source: &dyn std::error::Error = error;
    while let Some(next) = source.source() {
        source = next;
    }
    source.to_string()
}

fn transport_error(error: &reqwest::Error, url: &Url, what: &str) -> anyhow::Error {
    let exit = if error.is_timeout() {
        Exit::TimedOut
    } else {
        Exit::Failed
    };
    failure(exit, format!("cannot reach {what} {url}: {}", cause(error)))
}
