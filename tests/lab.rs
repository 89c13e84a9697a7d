//! `ocf-devsim lab`: a cloud, the simulator's OAuth server and unowned
//! devices in one process. The mediator logs in to its hub with every flow
//! it has (client credentials, device code, browser with PKCE) with nobody
//! at a browser, and `provision --batch` of the lab's device list takes
//! every device to `registered`: the cloud's event lines show the sign-up,
//! sign-in and publication of each device's new UUID.

mod common;
#[path = "common/lab.rs"]
mod lab;
#[path = "common/oidc.rs"]
mod oidc;
#[path = "common/sim_oauth.rs"]
mod sim_oauth;

use std::time::Duration;

use lab::LabProcess;
use oidc::{Home, jwt_claims};
use serde_json::Value;

const LAB_AUDIENCE: &str = "https://cloud.ocf-devsim.test/";

/// `provision --batch` of the lab's devices; the records, each checked
/// to have reached `registered`.
fn provision_all(home: &Home, lab: &LabProcess) -> Vec<Value> {
    let file = lab.text("devices_file");
    let run = home.run(&["--json", "--no-input", "provision", "--batch", &file]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let records = run.json_lines();
    assert_eq!(records.len(), lab.devices().len(), "{}", run.stdout);
    for record in &records {
        assert_eq!(record["ok"], true, "{record}");
        assert_eq!(record["cps"], "registered", "{record}");
    }
    records
}

#[test]
fn the_startup_line_says_where_everything_is_and_the_device_list_has_every_device() {
    let lab = LabProcess::start(&["--devices", "3"]);
    for key in [
        "hub_configuration_url",
        "cis",
        "sid",
        "ca_file",
        "m2m_client_id",
        "m2m_client_secret",
        "issuer",
        "devices_file",
    ] {
        assert!(lab.startup[key].is_string(), "{key}: {}", lab.startup);
    }
    assert!(lab.text("cis").starts_with("coaps+tcp://127.0.0.1:"));
    let devices = lab.devices();
    assert_eq!(devices.len(), 3);
    let list = std::fs::read_to_string(lab.text("devices_file")).unwrap();
    let rows = ocf_mediator::provision::parse_batch(&list).unwrap();
    for (row, device) in rows.iter().zip(&devices) {
        assert_eq!(row.device, device["endpoints"][0].as_str().unwrap());
        assert!(row.device.starts_with("coap://127.0.0.1:"), "{list}");
    }
    // The hub sends mediators to the lab's OAuth server, and its devices
    // sign up with access tokens: nobody is asked anything per device.
    let hub: Value = sim_oauth::client()
        .get(lab.text("hub_configuration_url"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(hub["authority"], lab.text("issuer").as_str());
    assert_eq!(hub["deviceOauthClient"]["grantType"], "clientCredentials");
    assert_eq!(
        hub["m2mOauthClient"]["clientId"],
        lab.text("m2m_client_id").as_str()
    );
    assert_eq!(hub["id"], lab.text("sid").as_str());
}

#[test]
fn a_factory_login_and_a_batch_take_every_device_to_registered() {
    let lab = LabProcess::start(&["--devices", "3"]);
    let home = Home::new();
    let secret = lab.text("m2m_client_secret");
    let login = home.run_with_stdin(
        &[
            "--json",
            "login",
            "--hub",
            &lab.hub(),
            "--client-credentials",
            "--client-secret-stdin",
        ],
        &secret,
    );
    assert_eq!(login.code, 0, "{}", login.stderr);
    let records = provision_all(&home, &lab);
    let announced: Vec<String> = lab
        .devices()
        .iter()
        .map(|d| d["di"].as_str().unwrap().to_owned())
        .collect();
    let owned: Vec<String> = records
        .iter()
        .map(|r| r["di"].as_str().unwrap().to_owned())
        .collect();
    for di in &owned {
        assert!(
            !announced.contains(di),
            "an owned device takes a new UUID: {di}"
        );
    }
    // What the cloud saw: each device's new UUID signed up, signed in and
    // published, with the owner of the factory's token.
    lab.wait_registered(&owned, Duration::from_secs(10));
    let events = lab.events();
    for di in &owned {
        let signup = events
            .iter()
            .find(|e| e["event"] == "signup" && e["di"] == di.as_str())
            .unwrap();
        assert_eq!(signup["uid"], "rehearsal-user", "{signup}");
    }
    assert!(
        !events.iter().any(|e| e["event"] == "refused"),
        "{events:?}"
    );
    home.assert_no_leak(&[&secret]);
}

#[test]
fn a_person_logs_in_with_a_device_code_that_nobody_has_to_enter() {
    let lab = LabProcess::start(&["--devices", "2"]);
    let home = Home::new();
    let login = home.run(&["--json", "login", "--hub", &lab.hub(), "--device-code"]);
    assert_eq!(login.code, 0, "{}", login.stderr);
    let lines = login.json_lines();
    assert_eq!(lines[0]["event"], "device_code", "{}", login.stdout);
    assert_eq!(lines.last().unwrap()["event"], "logged_in");
    let token = home.run(&["token"]);
    assert_eq!(token.code, 0, "{}", token.stderr);
    let claims = jwt_claims(token.stdout.trim());
    assert_eq!(claims["aud"], LAB_AUDIENCE);
    assert_eq!(claims["iss"], lab.text("issuer").as_str());
    // The person's token is what the devices take to the cloud.
    let records = provision_all(&home, &lab);
    let owned: Vec<String> = records
        .iter()
        .map(|r| r["di"].as_str().unwrap().to_owned())
        .collect();
    lab.wait_registered(&owned, Duration::from_secs(10));
}

#[test]
fn a_person_logs_in_in_a_browser_with_pkce_and_the_redirect_comes_back_at_once() {
    let lab = LabProcess::start(&["--devices", "1"]);
    let home = Home::new();
    let login = home.run_interactive(
        &["--json", "login", "--hub", &lab.hub(), "--browser"],
        |prompt| {
            assert_eq!(prompt["event"], "authorization_url", "{prompt}");
            let url = prompt["url"].as_str().unwrap();
            assert!(url.contains("code_challenge_method=S256"), "{url}");
            // The lab's OAuth server approves at once: straight back to
            // the mediator's loopback listener with the code.
            let approved = sim_oauth::client().get(url).send().unwrap();
            assert_eq!(approved.status(), 302);
            let back = approved.headers()["location"].to_str().unwrap().to_owned();
            assert!(back.starts_with("http://127.0.0.1:"), "{back}");
            assert!(back.contains("code="), "{back}");
            let page = oidc::browser().get(&back).send().unwrap();
            assert!(page.status().is_success(), "{}", page.status());
        },
    );
    assert_eq!(login.code, 0, "{}", login.stderr);
    let token = home.run(&["token"]);
    assert_eq!(token.code, 0, "{}", token.stderr);
    assert_eq!(jwt_claims(token.stdout.trim())["aud"], LAB_AUDIENCE);
}

#[test]
fn run_gets_the_lab_s_environment_and_the_lab_ends_with_its_status() {
    let script = r#"
        test -n "$OCF_MEDIATOR_CLIENT_SECRET" || exit 90
        test "$OCF_MEDIATOR_VOLATILE_KEYRING" = 1 || exit 91
        test -s "$OCF_LAB_DEVICES" || exit 92
        case "$OCF_LAB_HUB" in http://127.0.0.1:*) ;; *) exit 93 ;; esac
        case "$OCF_MEDIATOR_STATE_DIR" in "$(dirname "$OCF_LAB_DEVICES")"/*) ;; *) exit 94 ;; esac
        command -v ocf-mediator >/dev/null || exit 95
        echo "$OCF_LAB_DEVICES" > "$MARK"
        exit 7"#;
    let mark = tempfile::NamedTempFile::new().unwrap();
    let run = common::Run::from(
        std::process::Command::new(common::DEVSIM)
            .args(["lab", "--devices", "1", "--run", script])
            .env("MARK", mark.path())
            // ocf-mediator must come from the lab's own directory.
            .env("PATH", "/usr/bin:/bin")
            .output()
            .unwrap(),
    );
    assert_eq!(run.code, 7, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("kernel keyring"), "{}", run.stdout);
    // The scratch directory (device list, the mediator's state) is gone.
    let devices_file = std::fs::read_to_string(mark.path()).unwrap();
    let dir = std::path::Path::new(devices_file.trim()).parent().unwrap();
    assert!(!dir.exists(), "{} is left behind", dir.display());
}

#[test]
fn sigterm_stops_the_lab_and_the_command_it_runs() {
    let mut child = std::process::Command::new(common::DEVSIM)
        .args([
            "lab",
            "--devices",
            "1",
            "--run",
            "echo started; exec sleep 60",
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    while !line.contains("started") {
        line.clear();
        assert!(
            std::io::BufRead::read_line(&mut stdout, &mut line).unwrap() > 0,
            "the lab ended before its command started"
        );
    }
    std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let ended = common::wait_until(Duration::from_secs(5), || {
        matches!(child.try_wait(), Ok(Some(_)))
    });
    assert!(ended, "the lab did not stop");
    // The command was ended by the SIGTERM passed on: 128 + 15.
    assert_eq!(child.wait().unwrap().code(), Some(143));
}

#[test]
fn without_run_it_says_what_to_type_next_and_stops_on_sigterm() {
    let mut child = std::process::Command::new(common::DEVSIM)
        .args(["lab", "--devices", "2"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut text = String::new();
    while !text.contains("Ctrl-C") {
        assert!(
            std::io::BufRead::read_line(&mut stdout, &mut text).unwrap() > 0,
            "the lab ended early: {text}"
        );
    }
    let hub = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("hub"))
        .map(str::trim)
        .unwrap_or_else(|| panic!("no hub line: {text}"))
        .to_owned();
    assert!(
        text.contains(&format!("ocf-mediator login --hub {hub}")),
        "{text}"
    );
    assert!(text.contains("ocf-mediator provision --batch "), "{text}");
    assert!(
        !text.contains("OCF_MEDIATOR_CLIENT_SECRET"),
        "no secret on screen: {text}"
    );
    std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let ended = common::wait_until(Duration::from_secs(5), || {
        matches!(child.try_wait(), Ok(Some(_)))
    });
    assert!(ended, "the lab did not stop");
    assert_eq!(child.wait().unwrap().code(), Some(0));
}

#[test]
fn a_directory_with_an_earlier_rehearsal_s_mediator_state_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("mediator")).unwrap();
    let run = common::Run::from(
        std::process::Command::new(common::DEVSIM)
            .args(["lab", "--run", "true", "--dir"])
            .arg(dir.path())
            .output()
            .unwrap(),
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("earlier rehearsal"), "{}", run.stderr);
}
