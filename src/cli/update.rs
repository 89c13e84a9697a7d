//! `ocf-mediator update`.

use std::io::Read;
use std::path::Path;

use super::args::{GlobalArgs, UpdateArgs};
use super::exchange::{exchange, normalize_href, report};
use super::exit::{Exit, failure};
use super::input::{BODY_LIMIT, read_file_text, read_text};
use super::output::Output;
use crate::coap::Code;
use crate::ocf::representation::{encode_cbor, json_to_cbor};
use crate::ocf::request::ocf_request_with_body;

pub async fn run(args: &UpdateArgs, global: &GlobalArgs, output: &Output) -> anyhow::Result<Exit> {
    let href = normalize_href(&args.href)?;
    if args.data == "-" && args.dtls.psk_stdin {
        return Err(failure(
            Exit::Usage,
            "stdin can carry the PSK (--psk-stdin) or the body (--data -), not both; put the body in a file and use --data @FILE",
        ));
    }
    let mut stdin = std::io::stdin().lock();
    let body = read_body(&args.data, &mut stdin)?;
    let request = ocf_request_with_body(Code::POST, &href, encode_cbor(&json_to_cbor(&body)));
    let exchanged = exchange(
        &args.device,
        request,
        &args.dtls,
        &mut stdin,
        global,
        output,
    )
    .await?;
    report(&exchanged, "POST", &href, output)
}

/// The JSON body from the argument, a file (`@FILE`) or stdin (`-`).
fn read_body(data: &str, stdin: &mut dyn Read) -> anyhow::Result<serde_json::Value> {
    let (text, origin) = if data == "-" {
        let text = read_text(stdin, BODY_LIMIT, "the body on stdin (--data -)")?;
        (text, "stdin".to_owned())
    } else if let Some(path) = data.strip_prefix('@') {
        let text = read_file_text(Path::new(path), BODY_LIMIT, &format!("--data @{path}"))?;
        (text, path.to_owned())
    } else {
        (data.to_owned(), "--data".to_owned())
    };
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| failure(Exit::Usage, format!("{origin}: the body is not JSON: {e}")))?;
    if !value.is_object() {
        return Err(failure(
            Exit::Usage,
            format!("{origin}: an OCF update body is a JSON object ({{...}})"),
        ));
    }
    Ok(value)
}
