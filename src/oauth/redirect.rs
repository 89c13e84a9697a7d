//! The loopback redirect listener (RFC 8252 §7.3): a tiny HTTP server on
//! 127.0.0.1 that waits for the browser to bring back `code` and `state`.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use url::{Host, Url};

use crate::cli::exit::{Exit, failure};

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
    pub async fn bind_any() -> anyhow::Result<Listener> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let redirect_uri = Url::parse(&format!("http://127.0.0.1:{port}/callback"))?;
        Ok(Listener {
            listener,
            redirect_uri,
        })
    }

    /// A listener for a given redirect URI, when it is `http://` to a
    /// loopback IP address with a port; `None` when the URI cannot be served here.
    pub async fn bind_for(uri: &Url) -> anyhow::Result<Option<Listener>> {
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
            .map_err(|e| {
                failure(
                    Exit::Failed,
                    format!("cannot listen on the redirect URI {uri}: {e}"),
                )
            })?;
        Ok(Some(Listener {
            listener,
            redirect_uri: uri.clone(),
        }))
    }

    /// Waits for the redirect carrying `state`, and returns its code.
    pub async fn wait(&self, state: &str, wait: Duration) -> anyhow::Result<String> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let accepted = tokio::time::timeout_at(deadline, self.listener.accept()).await;
            let Ok(accepted) = accepted else {
                return Err(failure(
                    Exit::TimedOut,
                    format!(
                        "no answer reached {} within {}",
                        self.redirect_uri,
                        humantime::format_duration(wait)
                    ),
                ));
            };
            let Ok((stream, _)) = accepted else { continue };
            let answer =
                tokio::time::timeout(Duration::from_secs(10), self.serve(stream, state)).await;
            match answer {
                Ok(Answer::Code(code)) => return Ok(code),
                Ok(Answer::Error(error)) => {
                    return Err(failure(
                        Exit::AuthFailed,
                        format!("the authorization was refused: {error}"),
                    ));
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
            .map(|d| format!(" ({})", d.chars().take(200).collect::<String>()))
            .unwrap_or_default();
        return Answer::Error(format!("{error}{detail}"));
    }
    match get("code") {
        Some(code) if !code.is_empty() => Answer::Code(code),
        _ => Answer::Ignore,
    }
}

/// The code in text a person pasted: a whole redirect URL, or the code itself.
pub fn code_from_pasted(text: &str, state: &str) -> anyhow::Result<String> {
    let text = text.trim();
    if let Ok(url) = Url::parse(text) {
        return match parse_redirect(&url, state) {
            Answer::Code(code) => Ok(code),
            Answer::Error(e) => Err(failure(
                Exit::AuthFailed,
                format!("the authorization was refused: {e}"),
            )),
            Answer::Ignore => Err(failure(
                Exit::Usage,
                "the pasted address has no code for this request (wrong or missing state)",
            )),
        };
    }
    if text.is_empty() || text.contains(char::is_whitespace) {
        return Err(failure(Exit::Usage, "no code was pasted"));
    }
    Ok(text.to_owned())
}

/// Opens `url` in a browser when this session has one (a display, or
/// `$BROWSER`). Returns whether one was started. The URL holds no secret.
pub fn open_browser(url: &Url) -> bool {
    if !has_browser() {
        return false;
    }
    let program = std::env::var("BROWSER").unwrap_or_else(|_| "xdg-open".to_owned());
    std::process::Command::new(program)
        .arg(url.as_str())
        .env_remove("OCF_MEDIATOR_CLIENT_SECRET")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .is_ok()
}

/// Whether a browser can be opened here.
pub fn has_browser() -> bool {
    let set = |k: &str| std::env::var_os(k).is_some_and(|v| !v.is_empty());
    set("BROWSER") || ((set("DISPLAY") || set("WAYLAND_DISPLAY")) && on_path("xdg-open"))
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}
