//! What `get` and `update` share: one request to one device, and how its
//! answer is shown.

use std::sync::Arc;

use super::args::{DtlsArgs, GlobalArgs};
use super::credentials::credentials;
use super::exit::{Exit, failure};
use super::interaction::Terminal;
use super::output::{Output, printable_lines};
use super::resolve::parse_device;
use crate::coap::Request;
use crate::mediator::{Access, Exchanged};
use crate::ocf::address::format_addr;
use crate::ocf::link::expect_success;
use crate::ocf::representation::{Shown, show_payload};

/// Sends `request` to DEVICE: over the owner session when the device is
/// ours, with the given DTLS credentials (a PSK from `key_input`), or plain.
pub async fn exchange(
    device: &str,
    request: Request,
    dtls: &DtlsArgs,
    key_input: &mut dyn std::io::Read,
    global: &GlobalArgs,
    output: &Output,
) -> anyhow::Result<Exchanged> {
    let access = match credentials(dtls, key_input)? {
        Some(credentials) => Access::With(credentials),
        None => Access::Auto,
    };
    let terminal: Arc<dyn crate::interact::Interaction> = Arc::new(Terminal::new(output));
    let mediator = super::mediator(global, Arc::clone(&terminal))?;
    let device = parse_device(device)?;
    output.debug(&format!(
        "{} {}",
        request.code.name(),
        request.options.uri_path()
    ));
    let exchanged = if dtls.owner_cert {
        crate::cert::request_with_certificate(&mediator, &device, request, async |name: &str| {
            super::cert::recorded_signer(
                &mediator,
                name,
                super::cert::OWN_LIFETIME,
                global,
                terminal,
            )
            .await
        })
        .await?
    } else {
        mediator.request(&device, request, access).await?
    };
    if let Some(code) = exchanged.refused_ocf_options {
        output.debug(&format!(
            "{} answered {code} {}: asking again without OCF's options",
            format_addr(exchanged.endpoint.addr),
            code.name()
        ));
    }
    if let Some(suite) = exchanged.suite {
        output.debug(&format!(
            "{}: DTLS session with {}{}",
            exchanged.endpoint,
            suite.name(),
            if exchanged.owner_session {
                " (owner session)"
            } else {
                ""
            }
        ));
    }
    Ok(exchanged)
}

/// Prints an answer (JSON line or representation) or turns a refusal into
/// an error with exit code 6.
pub fn report(
    exchanged: &Exchanged,
    method: &str,
    href: &str,
    output: &Output,
) -> anyhow::Result<Exit> {
    let response = &exchanged.response;
    let peer = format_addr(exchanged.endpoint.addr);
    expect_success(&peer, &format!("{method} {href}"), response)?;
    let shown = show_payload(response.content_format(), &response.payload)
        .map_err(|e| failure(Exit::Failed, format!("{peer}: {href}: {e}")))?;
    if output.json {
        let value = match shown {
            Shown::Json(v) => v,
            Shown::Text(t) | Shown::Binary(t) => serde_json::Value::String(t),
        };
        output.json_line(&serde_json::json!({
            "endpoint": exchanged.endpoint.to_string(),
            "href": href,
            "code": response.code.to_string(),
            "content_format": response.content_format(),
            "representation": value,
        }));
    } else {
        match shown {
            Shown::Json(v) => println!("{}", printable_lines(&serde_json::to_string_pretty(&v)?)),
            Shown::Text(t) => println!("{}", printable_lines(&t)),
            Shown::Binary(b) => println!("{b}"),
        }
    }
    Ok(Exit::Success)
}

pub fn normalize_href(href: &str) -> anyhow::Result<String> {
    let href = href.trim();
    if href.is_empty() || href.contains(char::is_whitespace) {
        return Err(failure(
            Exit::Usage,
            format!("{href:?} is not a resource path; expected something like /oic/d"),
        ));
    }
    Ok(if href.starts_with('/') {
        href.to_owned()
    } else {
        format!("/{href}")
    })
}
