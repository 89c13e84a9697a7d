//! A real OAuth 2.0 server for the login tests: oidc-provider (npm) run by
//! `tests/oidc/server.js` on a free loopback port, and a headless "person"
//! that goes through its login and consent pages.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

pub const AUDIENCE: &str = "https://cloud.test/";
pub const HUB_ID: &str = "5f9e3b0c-8e1f-4a7e-9c51-2a4f0e6b7d10";
pub const FACTORY_SECRET: &str = "factory-secret-value-0123456789";
pub const DEVICE_SECRET: &str = "device-secret-value-0123456789";

/// A running oidc-provider, stopped when dropped.
pub struct Oidc {
    child: Child,
    pub issuer: String,
}

/// The Node.js to run the server with: the one scripts/setup.sh fetched
/// when the system's is too old for oidc-provider, else the system's.
fn node() -> PathBuf {
    let fetched = server_dir().join(".node/bin/node");
    if fetched.exists() {
        fetched
    } else {
        PathBuf::from("node")
    }
}

fn server_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/oidc")
}

impl Oidc {
    pub fn start() -> Oidc {
        Oidc::start_with(&[])
    }

    /// Starts with environment settings (ACCESS_TTL, HUB_DEVICE_GRANT, DEVICE_REDIRECT_URI, …).
    pub fn start_with(env: &[(&str, &str)]) -> Oidc {
        Oidc::start_in(&[], env)
    }

    /// Starts under a command prefix (e.g. `ip netns exec NS`).
    pub fn start_in(prefix: &[&str], env: &[(&str, &str)]) -> Oidc {
        let dir = server_dir();
        assert!(
            dir.join("node_modules/oidc-provider").is_dir(),
            "oidc-provider is not installed: run scripts/setup.sh (npm ci in tests/oidc)"
        );
        let mut command = match prefix.split_first() {
            Some((program, args)) => {
                let mut command = Command::new(program);
                command.args(args).arg(node());
                command
            }
            None => Command::new(node()),
        };
        let mut child = command
            .arg("server.js")
            .current_dir(&dir)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start node tests/oidc/server.js (is nodejs installed? scripts/setup.sh)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let ready: serde_json::Value =
            serde_json::from_str(&line).unwrap_or_else(|_| panic!("oidc server said {line:?}"));
        Oidc {
            child,
            issuer: ready["issuer"].as_str().unwrap().to_owned(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }

    /// Forgets every refresh token, as an administrator revoking them would.
    pub fn revoke_refresh_tokens(&self) {
        let answer = browser()
            .post(self.url("/test/revoke-refresh-tokens"))
            .send()
            .unwrap();
        assert!(answer.status().is_success());
    }

    /// Every refresh token the server ever issued.
    pub fn issued_refresh_tokens(&self) -> Vec<String> {
        let answer: serde_json::Value = browser()
            .get(self.url("/test/refresh-tokens"))
            .send()
            .unwrap()
            .json()
            .unwrap();
        answer["issued"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap().to_owned())
            .collect()
    }

    /// How many requests reached the token endpoint with this grant type
    /// (e.g. `refresh_token`), answered or refused.
    pub fn token_requests(&self, grant_type: &str) -> u64 {
        let answer: serde_json::Value = browser()
            .get(self.url("/test/token-requests"))
            .send()
            .unwrap()
            .json()
            .unwrap();
        answer[grant_type].as_u64().unwrap_or(0)
    }

    /// Exchanges a device authorization code the way plgd's coap-gateway
    /// does: as the device client, with its secret and redirect URI.
    pub fn exchange_as_hub(&self, code: &str, redirect_uri: &str) -> serde_json::Value {
        let answer = browser()
            .post(self.url("/token"))
            .basic_auth("device", Some(DEVICE_SECRET))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", redirect_uri),
            ])
            .send()
            .unwrap();
        answer.json().unwrap()
    }

    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Oidc {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A blocking HTTP client with a cookie jar, following redirects: a browser.
pub fn browser() -> reqwest::blocking::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::blocking::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap()
}

/// Plays the person: opens `url` and submits every form on the way (user
/// code confirmation, login with any name, consent), following redirects
/// (to the mediator's loopback listener, for the browser flow). Returns the
/// last page's URL and text.
pub fn play_user(url: &str) -> (String, String) {
    let browser = browser();
    let mut response = browser.get(url).send().unwrap();
    for _ in 0..10 {
        let page_url = response.url().clone();
        let body = response.text().unwrap();
        let Some(form) = first_form(&body) else {
            return (page_url.to_string(), body);
        };
        let action = page_url.join(&form.action).unwrap();
        response = browser.post(action).form(&form.fields).send().unwrap();
    }
    panic!("too many forms on the way from {url}");
}

struct Form {
    action: String,
    fields: Vec<(String, String)>,
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let key = format!("{name}=\"");
    let start = tag.find(&key)? + key.len();
    let end = tag[start..].find('"')? + start;
    Some(tag[start..end].replace("&amp;", "&"))
}

fn first_form(html: &str) -> Option<Form> {
    let start = html.find("<form")?;
    let end = html[start..]
        .find("</form>")
        .map_or(html.len(), |e| start + e);
    let form = &html[start..end];
    let tag_end = form.find('>')?;
    let action = attribute(&form[..tag_end], "action")?;
    let mut fields = Vec::new();
    for piece in form.split("<input").skip(1) {
        let tag = &piece[..piece.find('>').unwrap_or(piece.len())];
        let Some(name) = attribute(tag, "name") else {
            continue;
        };
        let value = match name.as_str() {
            "login" => "tester".to_owned(),
            "password" => "any-password".to_owned(),
            _ => attribute(tag, "value").unwrap_or_default(),
        };
        fields.push((name, value));
    }
    Some(Form { action, fields })
}

/// The claims of a JWT (not verified: the server is ours).
pub fn jwt_claims(token: &str) -> serde_json::Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).expect("a JWT has three parts");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// A scratch home with a real keyring (main's `TestHome`: private D-Bus and
/// gnome-keyring) for mediator runs, so tests never touch a user's profiles
/// or keyring; it remembers what the mediator printed for the leak checks.
pub struct Home {
    pub home: crate::common::keyring::TestHome,
    /// Every run's stderr and non-`token` stdout, for the leak checks.
    pub seen: std::cell::RefCell<String>,
}

impl Home {
    pub fn new() -> Home {
        Home {
            home: crate::common::keyring::TestHome::start(),
            seen: Default::default(),
        }
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = self.home.command(crate::common::MEDIATOR);
        command.args(args).stdin(Stdio::null());
        for (key, _) in std::env::vars() {
            if key.starts_with("OCF_MEDIATOR_") {
                command.env_remove(key);
            }
        }
        command
            .env("OCF_MEDIATOR_STATE_DIR", self.home.state_dir())
            .env_remove("BROWSER");
        command
    }

    fn record(&self, args: &[&str], run: &crate::common::Run) {
        let mut seen = self.seen.borrow_mut();
        seen.push_str(&run.stderr);
        if !args.contains(&"token") {
            seen.push_str(&run.stdout);
        }
    }

    pub fn run(&self, args: &[&str]) -> crate::common::Run {
        let output = self.command(args).output().unwrap();
        let run = crate::common::Run::from_output(output);
        self.record(args, &run);
        run
    }

    pub fn run_with_stdin(&self, args: &[&str], input: &str) -> crate::common::Run {
        use std::io::Write;
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        let run = crate::common::Run::from_output(child.wait_with_output().unwrap());
        self.record(args, &run);
        run
    }

    /// `ocf-mediator --json -vv login --device-code ARGS`, playing the person
    /// at the browser.
    pub fn device_code_login(&self, args: &[&str]) -> crate::common::Run {
        let mut all = vec!["--json", "-vv", "login", "--device-code"];
        all.extend_from_slice(args);
        self.run_interactive(&all, |prompt| {
            assert_eq!(prompt["event"], "device_code", "{prompt}");
            assert!(prompt["user_code"].is_string() && prompt["verification_uri"].is_string());
            assert!(prompt["expires_in"].as_u64().unwrap() > 0);
            play_user(prompt["verification_uri_complete"].as_str().unwrap());
        })
    }

    /// Runs a login (or token) that waits for a person: reads its first JSON
    /// line (the prompt), lets `person` act on it, then waits for the end.
    pub fn run_interactive(
        &self,
        args: &[&str],
        person: impl FnOnce(&serde_json::Value),
    ) -> crate::common::Run {
        let mut child = self
            .command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        stdout.read_line(&mut first).unwrap();
        let prompt: serde_json::Value = serde_json::from_str(&first).unwrap_or_else(|_| {
            let mut rest = String::new();
            let _ = child
                .stderr
                .take()
                .map(|mut e| std::io::Read::read_to_string(&mut e, &mut rest));
            panic!("expected a JSON prompt line, got {first:?}; stderr: {rest}")
        });
        person(&prompt);
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
        let output = child.wait_with_output().unwrap();
        let mut run = crate::common::Run::from_output(output);
        run.stdout = format!("{first}{rest}");
        self.record(args, &run);
        run
    }

    /// Asserts that no secret appears in anything the mediator printed
    /// (except `token`'s stdout).
    pub fn assert_no_leak(&self, secrets: &[&str]) {
        let seen = self.seen.borrow();
        for secret in secrets {
            assert!(secret.len() >= 8, "a secret to look for: {secret:?}");
            assert!(
                !seen.contains(secret),
                "a secret leaked into the output: {seen}"
            );
        }
    }
}

/// A TCP port free on loopback below the ephemeral range, so no outgoing
/// connection takes it before the mediator listens on it.
pub fn free_port_outside_ephemeral_range() -> u16 {
    let seed = std::process::id() as u64
        ^ std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64;
    for i in 0..1000u64 {
        let port = 20000
            + ((seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(i * 7919))
                % 10000) as u16;
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port in 20000..30000");
}
