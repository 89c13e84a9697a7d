//! The HTTP transport for everything OAuth: reqwest 0.13 over rustls (ring),
//! system roots plus an optional extra CA, no redirects followed (OAuth
//! endpoints must not be redirected), `https://` everywhere except loopback.
//! Also the adapter that lets the `oauth2` crate send its requests through it.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use url::{Host, Url};

use super::error::OAuthError;

/// Allows `https://` URLs, and `http://` only to loopback hosts.
pub fn check_url(url: &Url, what: &str) -> Result<(), OAuthError> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(url) => Ok(()),
        _ => Err(OAuthError::InsecureUrl {
            what: what.to_owned(),
            url: url.to_string(),
        }),
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
pub fn parse_url(text: &str, what: &str) -> Result<Url, OAuthError> {
    let url = Url::parse(text).map_err(|e| OAuthError::NotAUrl {
        what: what.to_owned(),
        text: text.to_owned(),
        detail: e.to_string(),
    })?;
    check_url(&url, what)?;
    Ok(url)
}

/// The largest answer read from an OAuth server or hub: their documents and
/// token answers are a few KiB.
pub const MAX_BODY: usize = 1024 * 1024;

/// The HTTP client of one profile (or one login). Cheap to clone.
#[derive(Clone)]
pub struct Http {
    client: reqwest::Client,
    timeout: Duration,
}

impl Http {
    /// A client trusting the system's roots plus `extra_ca` (PEM, one or more
    /// certificates); each request gives up after `timeout`.
    pub fn new(extra_ca: Option<&str>, timeout: Duration) -> Result<Http, OAuthError> {
        Http::with_roots(extra_ca, timeout, true)
    }

    /// The client for the URLs of `profile`: the system's roots only when
    /// one of them is `https://`. Loading them reads every file of the
    /// system's certificate directory (some 20 ms of CPU), which a profile
    /// on loopback (a rehearsal, a test) has no use for.
    pub fn for_profile(
        profile: &super::profile::Profile,
        timeout: Duration,
    ) -> Result<Http, OAuthError> {
        let endpoints = &profile.endpoints;
        let https = [
            Some(&endpoints.token_endpoint),
            endpoints.authorization_endpoint.as_ref(),
            endpoints.device_authorization_endpoint.as_ref(),
            endpoints.revocation_endpoint.as_ref(),
            profile.hub.as_ref(),
            profile.certificate_authority.as_ref(),
        ]
        .into_iter()
        .flatten()
        .any(|url| url.scheme() != "http")
            || !endpoints.issuer.starts_with("http://");
        Http::with_roots(profile.tls_ca.as_deref(), timeout, https)
    }

    /// As [`Http::new`]; without `system_roots`, only `extra_ca` is trusted.
    pub fn with_roots(
        extra_ca: Option<&str>,
        timeout: Duration,
        system_roots: bool,
    ) -> Result<Http, OAuthError> {
        // Several callers may ask; only the first install counts.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            // OAuth requests are seconds apart (polling): a connection kept
            // longer would meet the server's keep-alive timeout. Within a
            // second, the requests of a batch (the hub's certificate
            // authority, one per device) reuse one.
            .pool_idle_timeout(Duration::from_secs(1))
            .timeout(timeout)
            .connect_timeout(timeout)
            .user_agent(concat!("ocf-mediator/", env!("CARGO_PKG_VERSION")));
        let certs = match extra_ca {
            Some(pem) => reqwest::Certificate::from_pem_bundle(pem.as_bytes()).map_err(|_| {
                OAuthError::TlsSetup {
                    detail: "the CA file holds no PEM certificate".to_owned(),
                }
            })?,
            None => Vec::new(),
        };
        builder = if system_roots {
            builder.tls_certs_merge(certs)
        } else {
            builder.tls_certs_only(certs)
        };
        let client = builder
            .build()
            .map_err(|e| OAuthError::TlsSetup { detail: cause(&e) })?;
        Ok(Http { client, timeout })
    }

    /// GETs a JSON document; errors name the URL and what was wrong.
    pub async fn get_json(&self, url: &Url, what: &str) -> Result<serde_json::Value, OAuthError> {
        check_url(url, what)?;
        let response = self
            .client
            .get(url.clone())
            .header(http::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| self.transport_error(&e, url, what))?;
        let status = response.status();
        if !status.is_success() {
            return Err(OAuthError::HttpStatus {
                what: what.to_owned(),
                url: url.to_string(),
                status: status.as_u16(),
            });
        }
        let body = self.read_body(response, url, what).await?;
        serde_json::from_slice(&body).map_err(|e| OAuthError::Malformed {
            what: what.to_owned(),
            url: url.to_string(),
            problem: format!("not a JSON document: {e}"),
        })
    }

    /// POSTs a JSON body with a bearer token (an API of the hub, e.g. its
    /// certificate authority) and returns the status and the JSON answer
    /// (`Null` when the body is not JSON). Errors name the URL, never the
    /// token or the body.
    pub async fn post_json_bearer(
        &self,
        url: &Url,
        what: &str,
        bearer: &str,
        body: &serde_json::Value,
    ) -> Result<(http::StatusCode, serde_json::Value), OAuthError> {
        check_url(url, what)?;
        let response = self
            .client
            .post(url.clone())
            .bearer_auth(bearer)
            .header(http::header::ACCEPT, "application/json")
            .json(body)
            .send()
            .await
            .map_err(|e| self.transport_error(&e, url, what))?;
        let status = response.status();
        // Bounded as every other answer: a hostile hub's endless body
        // must not grow without bound here.
        let bytes = self.read_body(response, url, what).await?;
        let value = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
        Ok((status, value))
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
    ) -> Result<http::StatusCode, OAuthError> {
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
            .map_err(|e| self.transport_error(&e, url, what))?;
        Ok(response.status())
    }

    /// Sends one request for the `oauth2` crate.
    pub async fn send(
        &self,
        request: oauth2::HttpRequest,
    ) -> Result<oauth2::HttpResponse, HttpError> {
        let what = "the OAuth server";
        let text = request.uri().to_string();
        let url = parse_url(&text, what).map_err(HttpError)?;
        let (parts, body) = request.into_parts();
        let response = self
            .client
            .request(parts.method, url.clone())
            .headers(parts.headers)
            .body(body)
            .send()
            .await
            .map_err(|e| HttpError(self.transport_error(&e, &url, what)))?;
        let mut builder = http::Response::builder().status(response.status());
        for (name, value) in response.headers() {
            builder = builder.header(name, value);
        }
        let body = self
            .read_body(response, &url, what)
            .await
            .map_err(HttpError)?;
        builder.body(body).map_err(|e| {
            HttpError(OAuthError::Malformed {
                what: "the answer of".to_owned(),
                url: url.to_string(),
                problem: e.to_string(),
            })
        })
    }

    /// Reads a response body of at most [`MAX_BODY`] bytes: a server that
    /// sends more (or says it will) is refused as it goes, so that what a
    /// hostile or broken server sends never grows without bound here.
    async fn read_body(
        &self,
        mut response: reqwest::Response,
        url: &Url,
        what: &str,
    ) -> Result<Vec<u8>, OAuthError> {
        let too_large = || OAuthError::Malformed {
            what: what.to_owned(),
            url: url.to_string(),
            problem: format!("its answer is larger than {} KiB", MAX_BODY / 1024),
        };
        if response
            .content_length()
            .is_some_and(|length| length > MAX_BODY as u64)
        {
            return Err(too_large());
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| self.transport_error(&e, url, what))?
        {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    fn transport_error(&self, error: &reqwest::Error, url: &Url, what: &str) -> OAuthError {
        if error.is_timeout() {
            OAuthError::TimedOut {
                what: what.to_owned(),
                url: url.to_string(),
                after: self.timeout,
            }
        } else {
            OAuthError::Unreachable {
                what: what.to_owned(),
                url: url.to_string(),
                detail: cause(error),
            }
        }
    }
}

impl<'c> oauth2::AsyncHttpClient<'c> for Http {
    type Error = HttpError;
    type Future =
        Pin<Box<dyn Future<Output = Result<oauth2::HttpResponse, HttpError>> + Send + 'c>>;

    fn call(&'c self, request: oauth2::HttpRequest) -> Self::Future {
        Box::pin(self.send(request))
    }
}

/// A transport failure under the `oauth2` crate, already worded (it names
/// the URL, never a body: bodies carry secrets).
#[derive(Debug)]
pub struct HttpError(pub OAuthError);

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_is_only_for_loopback() {
        assert!(parse_url("http://127.0.0.1:8080/x", "the issuer").is_ok());
        assert!(parse_url("http://localhost/x", "the issuer").is_ok());
        assert!(parse_url("https://auth.example", "the issuer").is_ok());
        let e = parse_url("http://auth.example", "the issuer").unwrap_err();
        assert!(matches!(e, OAuthError::InsecureUrl { .. }));
        assert!(e.to_string().contains("must use https://"), "{e}");
        let e = parse_url("ftp://auth.example", "the issuer").unwrap_err();
        assert!(e.to_string().contains("expected https://"), "{e}");
        assert!(matches!(
            parse_url("not a url", "the issuer").unwrap_err(),
            OAuthError::NotAUrl { .. }
        ));
    }
}
