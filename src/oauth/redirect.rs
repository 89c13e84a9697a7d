//! The loopback redirect listener (RFC 8252 §7.3): a tiny HTTP server on
//! 127.0.0.1 that waits for the browser to bring back `code` and `state`.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use url::{Host, Url};

use super::error::{OAuthError, server_text};

pub struct Listener {
    listener: TcpListener,
    pub redirect_uri: Url,
}

/// What came back in the redirect.
enum Answer {
    Code(String),
    Error(String),
    /// Not our redirect (another path, a wrong state, a favicon): keep waiting.
    Ignore,
}

impl Listener {
    /// A listener on a free port of 127.0.0.1, redirect URI `http://127.0.0.1:PORT/callback`.
    pub async fn bind_any() -> Result<Listener, OAuthError> {
        let listen_error = |e: std::io::Error| OAuthError::Listen {
            address: "127.0.0.1".to_owned(),
            detail: e.to_string(),
        };
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(listen_error)?;
        let port = listener.local_addr().map_err(listen_error)?.port();
        let redirect_uri = Url::parse(&format!("http://127.0.0.1:{port}/callback"))
            .expect("a loopback URL with a port parses");
        Ok(Listener {
            listener,
            redirect_uri,
        })
    }

    /// A listener for a given redirect URI, when it is `http://` to a
    /// loopback IP address with a port; `None` when the URI cannot be served here.
    pub async fn bind_for(uri: &Url) -> Result<Option<Listener>, OAuthError> {
        let loopback = match uri.host() {
            Some(Host::Ipv4(ip)) => ip.is_loopback(),
            Some(Host::Ipv6(ip)) => ip.is_loopback(),
            Some(Host::Domain(d)) => d == "localhost",
            None => false,
        };
        if uri.scheme() != "http" || !loopback {
            return Ok(None);
        }
        let Some(port) = uri.port() else {
            return Ok(None);
        };
        let host = match uri.host() {
            Some(Host::Ipv6(ip)) => format!("[{ip}]"),
            Some(Host::Domain(_)) => "127.0.0.1".to_owned(),
            Some(host) => host.to_string(),
            None => return Ok(None),
        };
        let listener = TcpListener::bind(format!("{host}:{port}"))
            .await
            .map_err(|e| OAuthError::Listen {
                address: format!("the redirect URI {uri}"),
                detail: e.to_string(),
            })?;
        Ok(Some(Listener {
            listener,
            redirect_uri: uri.clone(),
        }))
    }

    /// Waits for the redirect carrying `state`, and returns its code.
    pub async fn wait(&self, state: &str, wait: Duration) -> Result<String, OAuthError> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let accepted = tokio::time::timeout_at(deadline, self.listener.accept()).await;
            let Ok(accepted) = accepted else {
                return Err(OAuthError::NoRedirect {
                    redirect_uri: self.redirect_uri.to_string(),
                    waited: wait,
                });
            };
            let Ok((stream, _)) = accepted else { continue };
            let answer =
                tokio::time::timeout(Duration::from_secs(10), self.serve(stream, state)).await;
            match answer {
                Ok(Answer::Code(code)) => return Ok(code),
                Ok(Answer::Error(detail)) => {
                    return Err(OAuthError::AccessDenied {
                        url: self.redirect_uri.to_string(),
                        detail: Some(detail),
                    });
                }
                Ok(Answer::Ignore) | Err(_) => continue,
            }
        }
    }

    async fn serve(&self, mut stream: TcpStream, state: &str) -> Answer {
        let mut buffer = Vec::new();
        let mut chunk = [0u8; 2048];
        while !buffer.windows(4).any(|w| w == b"\r\n\r\n") && buffer.len() < 16384 {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return Answer::Ignore,
                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            }
        }
        let head = String::from_utf8_lossy(&buffer);
        let target = head
            .lines()
            .next()
            .and_then(|line| line.strip_prefix("GET "))
            .and_then(|rest| rest.split(' ').next())
            .unwrap_or("");
        let answer = match self.redirect_uri.join(target) {
            Ok(url) if url.path() == self.redirect_uri.path() => parse_redirect(&url, state),
            _ => Answer::Ignore,
        };
        let (status, text) = match &answer {
            Answer::Code(_) => (
                "200 OK",
                "ocf-mediator got the answer. You can close this window.",
            ),
            Answer::Error(_) => (
                "400 Bad Request",
                "The authorization was refused. See ocf-mediator's message.",
            ),
            Answer::Ignore => ("404 Not Found", "Not the expected redirect."),
        };
        let body = format!("<!doctype html><title>ocf-mediator</title><p>{text}</p>\n");
        let response = format!(
            "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\nCache-Control: no-store\r\n\r\n{body}",
            body.len()
        );
        let _ = stream.write_all(response.as_bytes()).await;
        let _ = stream.shutdown().await;
        answer
    }
}

/// The code (or error) of a redirect URL whose `state` matches.
fn parse_redirect(url: &Url, state: &str) -> Answer {
    let get = |key: &str| {
        url.query_pairs()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.into_owned())
    };
    if get("state").as_deref() != Some(state) {
        return Answer::Ignore;
    }
    if let Some(error) = get("error") {
        let detail = get("error_description")
            .map(|d| format!(": {}", server_text(&d)))
            .unwrap_or_default();
        return Answer::Error(format!("{}{detail}", server_text(&error)));
    }
    match get("code") {
        Some(code) if !code.is_empty() => Answer::Code(code),
        _ => Answer::Ignore,
    }
}

/// The code in text a person pasted: a whole redirect URL, or the code itself.
pub fn code_from_pasted(text: &str, state: &str) -> Result<String, OAuthError> {
    let text = text.trim();
    if let Ok(url) = Url::parse(text) {
        return match parse_redirect(&url, state) {
            Answer::Code(code) => Ok(code),
            Answer::Error(detail) => Err(OAuthError::AccessDenied {
                url: without_query(&url).to_string(),
                detail: Some(detail),
            }),
            Answer::Ignore => Err(OAuthError::NoCodePasted {
                problem: "the pasted address has no code for this request (wrong or missing state)",
            }),
        };
    }
    if text.is_empty() || text.contains(char::is_whitespace) {
        return Err(OAuthError::NoCodePasted {
            problem: "no code was pasted",
        });
    }
    Ok(text.to_owned())
}

/// A redirect address without its query, which holds the code and state.
fn without_query(url: &Url) -> Url {
    let mut url = url.clone();
    url.set_query(None);
    url.set_fragment(None);
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pasted_address_gives_its_code_when_the_state_matches() {
        let pasted = " https://hub.example/devices?code=c0de&state=s1\n";
        assert_eq!(code_from_pasted(pasted, "s1").unwrap(), "c0de");
        assert!(matches!(
            code_from_pasted(pasted, "other").unwrap_err(),
            OAuthError::NoCodePasted { .. }
        ));
    }

    #[test]
    fn a_pasted_code_is_taken_as_it_is() {
        assert_eq!(code_from_pasted("c0de\n", "s1").unwrap(), "c0de");
        assert!(code_from_pasted("  \n", "s1").is_err());
        assert!(code_from_pasted("two words", "s1").is_err());
    }

    #[test]
    fn a_pasted_refusal_is_access_denied_without_the_query() {
        let pasted = "https://hub.example/devices?error=access_denied&state=s1";
        let e = code_from_pasted(pasted, "s1").unwrap_err();
        assert!(
            matches!(&e, OAuthError::AccessDenied { url, .. } if !url.contains("state")),
            "{e:?}"
        );
    }
}
