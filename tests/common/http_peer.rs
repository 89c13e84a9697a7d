//! A hostile HTTP peer on loopback for the cloud-side tests: each path
//! answers what the test says (garbage JSON, HTML, a body far too large,
//! announced or not), as a broken or malicious hub or OAuth server would.
//! HTTP/1.1, one request per connection, on a thread of its own.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// What a path answers.
#[derive(Clone, Debug)]
pub enum Answer {
    /// A status, a content type and a body (with its Content-Length).
    Body(u16, &'static str, Vec<u8>),
    /// A 200 JSON body; `{peer}` in it is replaced by the peer's base URL.
    Json(String),
    /// 200, then `mib` MiB of `x`, with no Content-Length (chunked).
    Endless { mib: usize },
    /// 200 with a Content-Length of `mib` MiB, then that many bytes.
    Announced { mib: usize },
}

pub struct HttpPeer {
    pub url: String,
    answers: Arc<Mutex<HashMap<String, Answer>>>,
}

impl HttpPeer {
    pub fn start() -> HttpPeer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let answers: Arc<Mutex<HashMap<String, Answer>>> = Arc::default();
        let shared = answers.clone();
        let base = url.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().map_while(Result::ok) {
                let answers = shared.clone();
                let base = base.clone();
                std::thread::spawn(move || serve(stream, &answers, &base));
            }
        });
        HttpPeer { url, answers }
    }

    /// `path` (without query) answers `answer` from now on.
    pub fn answer(&self, path: &str, answer: Answer) -> &HttpPeer {
        self.answers.lock().unwrap().insert(path.to_owned(), answer);
        self
    }
}

fn serve(stream: TcpStream, answers: &Mutex<HashMap<String, Answer>>, base: &str) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0; length.min(1 << 20)];
    let _ = reader.read_exact(&mut body);
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .split('?')
        .next()
        .unwrap_or("/")
        .to_owned();
    let answer = answers.lock().unwrap().get(&path).cloned();
    let mut out = stream;
    let _ = match answer {
        None => {
            head(&mut out, 404, "text/plain", Some(9)).and_then(|()| out.write_all(b"not found"))
        }
        Some(Answer::Body(status, kind, body)) => {
            head(&mut out, status, kind, Some(body.len())).and_then(|()| out.write_all(&body))
        }
        Some(Answer::Json(text)) => {
            let body = text.replace("{peer}", base).into_bytes();
            head(&mut out, 200, "application/json", Some(body.len()))
                .and_then(|()| out.write_all(&body))
        }
        Some(Answer::Endless { mib }) => {
            head(&mut out, 200, "application/json", None).and_then(|()| {
                let chunk = vec![b'x'; 64 * 1024];
                for _ in 0..mib * 16 {
                    write!(out, "{:x}\r\n", chunk.len())?;
                    out.write_all(&chunk)?;
                    out.write_all(b"\r\n")?;
                }
                out.write_all(b"0\r\n\r\n")
            })
        }
        Some(Answer::Announced { mib }) => head(&mut out, 200, "application/json", Some(mib << 20))
            .and_then(|()| {
                let chunk = vec![b'x'; 64 * 1024];
                for _ in 0..mib * 16 {
                    out.write_all(&chunk)?;
                }
                Ok(())
            }),
    };
}

fn head(
    out: &mut TcpStream,
    status: u16,
    kind: &str,
    length: Option<usize>,
) -> std::io::Result<()> {
    let framing = match length {
        Some(n) => format!("Content-Length: {n}\r\n"),
        None => "Transfer-Encoding: chunked\r\n".to_owned(),
    };
    write!(
        out,
        "HTTP/1.1 {status} X\r\nContent-Type: {kind}\r\n{framing}Connection: close\r\n\r\n"
    )
}
