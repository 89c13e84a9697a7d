//! `docs/json.md` is the contract of every `--json` line: each command runs
//! for real (against `ocf-devsim`, its cloud and lab, oidc-provider and a
//! real keyring) and each line it prints must have exactly the documented
//! keys, with values of the documented types. A key printed but not
//! documented fails; a key documented but never printed fails too.

#[path = "common/cloud.rs"]
mod cloud;
mod common;
#[path = "common/json_doc.rs"]
mod json_doc;
#[path = "common/lab.rs"]
mod lab;
#[path = "common/oidc.rs"]
mod oidc;
#[path = "common/dtls.rs"]
mod pki;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use common::keyring::TestHome;
use common::{DevSim, Run};
use json_doc::{Checker, Doc};
use serde_json::{Value, json};

/// The kinds of line (`###` headings of docs/json.md) each test holds to
/// the document; together, every kind documented.
const DEVICE_LINES: &[&str] = &[
    "error",
    "discover",
    "get, update",
    "own",
    "own --dry-run",
    "disown",
    "disown --forget",
    "disown --dry-run",
    "devices",
    "cert issue, renew",
    "cert ca",
    "cloud configure, status, deregister",
    "keys export",
    "keys import",
    "ocf-devsim device",
];
const LOGIN_LINES: &[&str] = &[
    "login",
    "logout",
    "profiles",
    "token (access token)",
    "token (authorization code)",
    "prompt: device_code",
    "prompt: authorization_url",
];
const LAB_LINES: &[&str] = &[
    "provision",
    "ocf-devsim cloud (startup)",
    "ocf-devsim cloud (event)",
    "ocf-devsim lab (startup)",
];

/// A run's JSON lines, once it ended with `code`.
#[track_caller]
fn lines(run: &Run, code: i32) -> Vec<Value> {
    assert_eq!(run.code, code, "{}\n{}", run.stdout, run.stderr);
    run.json_lines()
}

fn text(value: &Value) -> String {
    value
        .as_str()
        .unwrap_or_else(|| panic!("not a string: {value}"))
        .to_owned()
}

#[test]
fn device_commands_print_exactly_what_the_document_says() {
    let mut doc = Checker::new();
    let home = TestHome::start();
    let sim = DevSim::start(&["--count", "2", "--reset-delay-ms", "300"]);
    doc.check_all("ocf-devsim device", &sim.devices);
    let (a0, a1) = (sim.address(0), sim.address(1));
    let json = |args: &[&str], code: i32| {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        lines(&home.mediator(&all), code)
    };

    let found = json(&["discover", "--address", &a0, "--address", &a1], 0);
    assert_eq!(found.len(), 2);
    doc.check_all("discover", &found);
    doc.check_all("get, update", &json(&["get", &a0, "/oic/d"], 0));
    let update = ["update", &a0, "/oic/sec/doxm", "--data", r#"{"oxmsel": 0}"#];
    doc.check_all("get, update", &json(&update, 0));

    let plan = json(&["own", &a0, "--dry-run"], 0);
    doc.check_all("own --dry-run", &plan);
    let owned = json(&["own", &a0], 0);
    doc.check_all("own", &owned);
    assert_eq!(owned[0]["state"], "rfnop");
    let di = text(&owned[0]["di"]);
    let again = json(&["own", &di], 0);
    assert_eq!(again[0]["changed"], false);
    assert_eq!(again[0]["state"], Value::Null, "nothing read, nothing said");
    doc.check_all("own", &again);
    doc.check_all("own --dry-run", &json(&["own", &di, "--dry-run"], 0));
    doc.check_all("get, update", &json(&["get", &di, "/oic/sec/pstat"], 0));
    doc.check_all("devices", &json(&["devices"], 0));
    // An identity certificate from the local CA: issued, left alone while
    // not due, renewed; the CA; the device's record says when it expires.
    let cert = "cert issue, renew";
    let issued = json(&["cert", "issue", &di, "--signer", "local"], 0);
    assert_eq!(issued[0]["renewed"], true);
    doc.check_all(cert, &issued);
    let kept = json(&["cert", "renew", &di, "--within", "1h"], 0);
    assert_eq!(kept[0]["renewed"], false);
    doc.check_all(cert, &kept);
    doc.check_all(cert, &json(&["cert", "renew", &di], 0));
    doc.check_all("cert ca", &json(&["cert", "ca"], 0));
    let listed = json(&["devices"], 0);
    assert!(listed[0]["cert_not_after"].is_string(), "{}", listed[0]);
    doc.check_all("devices", &listed);

    let ca = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(ca.path(), pki::issue("CA", pki::Kind::Ca, None, 0).pem()).unwrap();
    let configure = home.mediator_with_stdin(
        &[
            "--json",
            "cloud",
            "configure",
            &di,
            "--cis",
            "coaps+tcp://127.0.0.1:5684",
            "--sid",
            "5f1e5a55-26b2-4ddd-9b27-2c3e1a7f0c01",
            "--apn",
            "plgd",
            "--ca",
            ca.path().to_str().unwrap(),
            "--token-stdin",
        ],
        "one-time-code\n",
    );
    let cloud = "cloud configure, status, deregister";
    doc.check_all(cloud, &lines(&configure, 0));
    doc.check_all(cloud, &json(&["cloud", "status", &di], 0));
    doc.check_all(cloud, &json(&["cloud", "deregister", &di], 0));

    let keys = home.path().join("station.keys");
    let keys = keys.to_str().unwrap();
    let export = [
        "--json",
        "keys",
        "export",
        "--out",
        keys,
        "--passphrase-stdin",
    ];
    let exported = lines(&home.mediator_with_stdin(&export, "a passphrase\n"), 0);
    doc.check_all("keys export", &exported);
    let station = TestHome::start();
    let import = ["--json", "keys", "import", keys, "--passphrase-stdin"];
    let imported = lines(&station.mediator_with_stdin(&import, "a passphrase\n"), 0);
    doc.check_all("keys import", &imported);

    doc.check_all(
        "disown --dry-run",
        &json(&["disown", &di, "--dry-run", "--yes"], 0),
    );
    let disowned = json(&["disown", "--yes", &di], 0);
    assert_eq!(disowned[0]["previous_di"], di.as_str());
    doc.check_all("disown", &disowned);
    // Owned with an identity certificate from the local CA: the line says
    // who signed it and when it expires.
    let with_cert = json(&["own", &a1, "--identity-cert", "local"], 0);
    assert_eq!(with_cert[0]["cert_signer"], "local", "{}", with_cert[0]);
    assert!(
        with_cert[0]["cert_not_after"].is_string(),
        "{}",
        with_cert[0]
    );
    doc.check_all("own", &with_cert);
    let second = text(&with_cert[0]["di"]);
    doc.check_all(
        "disown --forget",
        &json(&["disown", "--forget", "--yes", &second], 0),
    );

    // Errors: a refusal (with the step and the device's code), silence
    // (with the step), a closed port and a bad command line (neither).
    let refused = json(&["get", &a0, "/oic/sec/cred"], 6);
    assert_eq!(refused[0]["code"], "4.01");
    doc.check_all("error", &refused);
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let silent = silent.local_addr().unwrap().to_string();
    doc.check_all(
        "error",
        &json(&["--timeout", "300ms", "get", &silent, "/oic/d"], 4),
    );
    let closed = format!("127.0.0.1:{}", common::free_udp_port());
    doc.check_all("error", &json(&["discover", "--address", &closed], 3));
    // A command line refused before anything runs.
    doc.check_all("error", &json(&["own", &a0, "--otm", "nope"], 2));

    doc.assert_covered(DEVICE_LINES);
}

#[test]
fn login_commands_print_exactly_what_the_document_says() {
    let mut doc = Checker::new();
    let port = oidc::free_port_outside_ephemeral_range();
    let redirect = format!("http://127.0.0.1:{port}/devices");
    let server = oidc::Oidc::start_with(&[("DEVICE_REDIRECT_URI", &redirect)]);
    let home = oidc::Home::new();
    let issuer = [
        "--issuer",
        &server.issuer,
        "--client-id",
        "mediator",
        "--audience",
        oidc::AUDIENCE,
    ];

    // A person with a device code; then the profile and its token.
    let login = lines(&home.device_code_login(&issuer), 0);
    doc.check("prompt: device_code", &login[0]);
    doc.check_all("login", &login[1..]);
    doc.check_all("profiles", &lines(&home.run(&["--json", "profiles"]), 0));
    let token = lines(&home.run(&["--json", "token"]), 0);
    doc.check_all("token (access token)", &token);

    // A person in a browser, in a second profile.
    let mut args = vec!["--json", "login", "--profile", "web", "--browser"];
    args.extend_from_slice(&issuer);
    let browser = home.run_interactive(&args, |prompt| {
        oidc::play_user(prompt["url"].as_str().unwrap());
    });
    let browser = lines(&browser, 0);
    doc.check("prompt: authorization_url", &browser[0]);
    doc.check_all("login", &browser[1..]);

    // A plgd hub whose devices take one-time codes.
    let hub = [
        "--profile",
        "hub",
        "--hub",
        &server.issuer,
        "--device-redirect-uri",
        &redirect,
    ];
    doc.check_all("login", &lines(&home.device_code_login(&hub), 0)[1..]);
    let di = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
    let code = ["--json", "token", "--profile", "hub", "--device", di];
    let code = home.run_interactive(&code, |prompt| {
        oidc::play_user(prompt["url"].as_str().unwrap());
    });
    let code = lines(&code, 0);
    doc.check("prompt: authorization_url", &code[0]);
    doc.check_all("token (authorization code)", &code[1..]);

    let profiles = lines(&home.run(&["--json", "profiles"]), 0);
    assert_eq!(profiles.len(), 3);
    doc.check_all("profiles", &profiles);
    let logout = lines(&home.run(&["--json", "logout", "--profile", "web"]), 0);
    doc.check_all("logout", &logout);
    let nobody = lines(&home.run(&["--json", "token", "--profile", "nobody"]), 2);
    doc.check_all("error", &nobody);

    doc.assert_covered(LOGIN_LINES);
}

#[test]
fn provision_and_the_simulated_cloud_and_lab_print_exactly_what_the_document_says() {
    let mut doc = Checker::new();
    let cloud = cloud::CloudProcess::start(&[]);
    doc.check("ocf-devsim cloud (startup)", &cloud.startup);
    drop(cloud);

    let lab = lab::LabProcess::start(&["--devices", "2"]);
    doc.check("ocf-devsim lab (startup)", &lab.startup);
    let home = oidc::Home::new();
    let login = home.run_with_stdin(
        &[
            "--json",
            "login",
            "--hub",
            &lab.hub(),
            "--client-credentials",
            "--client-secret-stdin",
        ],
        &lab.text("m2m_client_secret"),
    );
    doc.check_all("login", &lines(&login, 0));
    let devices = lab.devices();
    let address = |i: usize| text(&devices[i]["endpoints"][0]);

    let first = address(0);
    let done = lines(&home.run(&["--json", "--no-input", "provision", &first]), 0);
    assert_eq!(done[0]["cps"], "registered", "{}", done[0]);
    doc.check_all("provision", &done);
    // A token the cloud refuses: the device's sign-up fails, and its
    // record says so.
    let second = address(1);
    let failed = home.run_with_stdin(
        &[
            "--json",
            "--no-input",
            "provision",
            &second,
            "--token-stdin",
        ],
        "not-a-token-the-cloud-knows\n",
    );
    assert_ne!(failed.code, 0, "{}", failed.stderr);
    let failed = failed.json_lines();
    assert_eq!(failed[0]["ok"], false, "{}", failed[0]);
    doc.check_all("provision", &failed);
    // Its cloud status: the configuration, then why it failed.
    let status = home.run(&["--json", "cloud", "status", &text(&failed[0]["di"])]);
    assert_eq!(status.code, 5, "{}", status.stderr);
    let status = status.json_lines();
    assert_eq!(status.len(), 2, "{status:?}");
    doc.check("cloud configure, status, deregister", &status[0]);
    doc.check("error", &status[1]);

    let registered = text(&done[0]["di"]);
    lab.wait_registered(&[registered], Duration::from_secs(10));
    let refused = common::wait_until(Duration::from_secs(10), || {
        lab.events().iter().any(|e| e["event"] == "refused")
    });
    assert!(refused, "the cloud refused nothing: {:?}", lab.events());
    doc.check_all("ocf-devsim cloud (event)", &lab.events());

    doc.assert_covered(LAB_LINES);
}

/// The kinds the tests above hold to the output are all the document has,
/// and a key (by its last name: `code` and `steps[].code`) has one type in
/// every kind of line, as the vocabulary says.
#[test]
fn every_documented_line_is_checked_and_each_key_has_one_type() {
    let doc = Doc::load();
    let claimed: BTreeSet<String> = [DEVICE_LINES, LOGIN_LINES, LAB_LINES]
        .concat()
        .into_iter()
        .map(str::to_owned)
        .collect();
    let documented: BTreeSet<String> = doc.kinds.keys().cloned().collect();
    assert_eq!(
        claimed, documented,
        "each kind of line in docs/json.md needs a test here, and each test a kind of line there"
    );
    let mut types: BTreeMap<&str, (String, &str)> = BTreeMap::new();
    for (kind_name, kind) in &doc.kinds {
        for (path, key) in &kind.keys {
            let name = path.rsplit('.').next().unwrap_or(path);
            let ty = key.ty.name();
            let (first, first_kind) = types.entry(name).or_insert((ty.clone(), kind_name));
            assert_eq!(
                *first, ty,
                "{name} is {first} in {first_kind:?} but {ty} in {kind_name:?}"
            );
        }
    }
}

/// Commands that print no JSON line of their own (their errors are error
/// lines like every command's).
const WITHOUT_LINES: &[&str] = &["ocf-mediator completions"];

/// Every command of both binaries, as `binary sub sub`.
fn commands() -> BTreeSet<String> {
    fn walk(command: &clap::Command, path: String, out: &mut BTreeSet<String>) {
        let subcommands: Vec<_> = command
            .get_subcommands()
            .filter(|c| c.get_name() != "help")
            .collect();
        if subcommands.is_empty() {
            out.insert(path.clone());
        }
        for sub in subcommands {
            walk(sub, format!("{path} {}", sub.get_name()), out);
        }
    }
    use clap::CommandFactory;
    let mut out = BTreeSet::new();
    walk(
        &ocf_mediator::cli::args::Cli::command(),
        "ocf-mediator".into(),
        &mut out,
    );
    walk(
        &ocf_mediator::cli::devsim_args::DevsimCli::command(),
        "ocf-devsim".into(),
        &mut out,
    );
    out
}

/// The commands a kind of line (a `###` heading) belongs to: `cloud
/// configure, status, deregister` is three, `own --dry-run` and `token
/// (access token)` are `own` and `token`; the error line and the prompts
/// belong to no one command.
fn commands_of(kind: &str) -> Vec<String> {
    if kind == "error" || kind.starts_with("prompt:") {
        return Vec::new();
    }
    let (binary, kind) = match kind.strip_prefix("ocf-devsim ") {
        Some(rest) => ("ocf-devsim", rest),
        None => ("ocf-mediator", kind),
    };
    let names = kind
        .split([' ', '('])
        .take_while(|w| !w.starts_with('-') && !w.is_empty());
    let words: Vec<&str> = names.collect();
    let listed = words.join(" ");
    let mut items = listed.split(", ");
    let first = items.next().unwrap_or_default().to_owned();
    let parent = first
        .rsplit_once(' ')
        .map(|(p, _)| format!("{p} "))
        .unwrap_or_default();
    std::iter::once(first)
        .chain(items.map(|item| format!("{parent}{item}")))
        .map(|command| format!("{binary} {command}"))
        .collect()
}

/// A command added without its lines in the document fails here (and a
/// kind of line for a command that does not exist).
#[test]
fn every_command_s_lines_are_documented() {
    let doc = Doc::load();
    let documented: BTreeSet<String> = doc.kinds.keys().flat_map(|k| commands_of(k)).collect();
    let commands = commands();
    let without: BTreeSet<String> = WITHOUT_LINES.iter().map(|c| (*c).to_owned()).collect();
    let undocumented: Vec<&String> = commands
        .iter()
        .filter(|c| !documented.contains(*c) && !without.contains(*c))
        .collect();
    assert!(
        undocumented.is_empty(),
        "docs/json.md documents no line of {undocumented:?}: add a ### section with its table \
         (and a check in this file), or list it in WITHOUT_LINES if it prints none"
    );
    let unknown: Vec<&String> = documented.difference(&commands).collect();
    assert!(
        unknown.is_empty(),
        "docs/json.md documents commands that do not exist: {unknown:?}"
    );
}

/// People find the document from the README and the top man pages.
#[test]
fn the_document_is_linked_from_the_readme_and_the_top_man_pages() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for file in ["README.md", "man/ocf-mediator.1", "man/ocf-devsim.1"] {
        let text = std::fs::read_to_string(root.join(file)).unwrap();
        assert!(
            text.contains("docs/json.md"),
            "{file} does not name docs/json.md"
        );
    }
}

/// The checker itself: each way a line can differ from its table fails.
#[test]
fn a_line_that_differs_from_its_table_fails_the_check() {
    let table = "\
## Things

### thing

| key | type | meaning |
|---|---|---|
| `di` | string | a UUID |
| `name` | string, null-able | a name |
| `step` | string, optional | a step |
| `steps` | array of object | steps |
| `steps[].ok` | boolean | done |
| `cert` | object, null-able | a certificate |
| `cert.signer` | string | who signed it |
| `body` | object, optional | anything |
";
    let check = |line: Value| {
        std::panic::catch_unwind(move || {
            let mut checker = Checker::with(Doc::parse(table).unwrap());
            checker.check("thing", &line);
        })
        .is_ok()
    };
    assert!(check(
        json!({"di": "d", "name": null, "steps": [{"ok": true}], "cert": null})
    ));
    assert!(check(json!({
        "di": "d", "name": "n", "step": "s", "steps": [],
        "cert": {"signer": "local"}, "body": {"anything": [1, {"at": "all"}]}
    })));
    for (why, line) in [
        (
            "a key not in the table",
            json!({"di": "d", "name": null, "steps": [], "cert": null, "extra": 1}),
        ),
        (
            "a key missing",
            json!({"name": null, "steps": [], "cert": null}),
        ),
        (
            "a value of another type",
            json!({"di": 7, "name": null, "steps": [], "cert": null}),
        ),
        (
            "null where it may not be",
            json!({"di": null, "name": null, "steps": [], "cert": null}),
        ),
        (
            "an array item of another type",
            json!({"di": "d", "name": null, "steps": [{"ok": "yes"}], "cert": null}),
        ),
        (
            "a key of an array's objects not in the table",
            json!({"di": "d", "name": null, "steps": [{"ok": true, "why": "x"}], "cert": null}),
        ),
        (
            "a key of an object not in the table",
            json!({"di": "d", "name": null, "steps": [], "cert": {"signer": "s", "why": 1}}),
        ),
        (
            "a key of an object missing",
            json!({"di": "d", "name": null, "steps": [], "cert": {}}),
        ),
        (
            "a key of an object of another type",
            json!({"di": "d", "name": null, "steps": [], "cert": {"signer": 1}}),
        ),
    ] {
        assert!(!check(line), "{why} passed");
    }
    // A documented key that no line had.
    let covered = std::panic::catch_unwind(|| {
        let mut checker = Checker::with(Doc::parse(table).unwrap());
        checker.check(
            "thing",
            &json!({"di": "d", "name": null, "steps": [], "cert": null}),
        );
        checker.assert_covered(&["thing"]);
    });
    assert!(
        covered.is_err(),
        "step, steps[].ok, cert.signer were never seen"
    );
    // Tables the parser refuses.
    for bad in [
        "### a\n\n| key | type | meaning |\n|---|---|---|\n| `x` | float | x |\n",
        "### a\n\n| key | type | meaning |\n|---|---|---|\n| `x` | string, maybe | x |\n",
        "### a\n\n| key | type | meaning |\n|---|---|---|\n| `x[].y` | string | y |\n",
        "### a\n\n| key | type | meaning |\n|---|---|---|\n| `x.y` | string | y |\n",
        "### a\n\n| key | type | meaning |\n|---|---|---|\n| `x` | string | x |\n| `x.y` | string | y |\n",
        "### a\n\nno table\n\n### b\n",
    ] {
        assert!(Doc::parse(bad).is_err(), "{bad}");
    }
}
