//! `ocf-mediator own`: parse, ask, call `otm::own`, render.

use std::sync::{Arc, Mutex};

use super::args::{GlobalArgs, OtmChoice, OwnArgs};
use super::credentials::certificates;
use super::exit::{Exit, failure};
use super::input::{SECRET_LIMIT, read_text};
use super::interaction::{PinSource, Terminal};
use super::output::{Output, printable};
use super::resolve::parse_device;
use crate::cert::{CertOutcome, IdentityInDoc};
use crate::interact::Secret;
use crate::otm::{self, Method, MethodChoice, OwnChange, OwnRequest, Owned};

pub async fn run(args: &OwnArgs, global: &GlobalArgs, output: &Output) -> anyhow::Result<Exit> {
    // A PIN on stdin is read and checked before anything is sent.
    let pin = if args.pin_stdin && !args.dry_run {
        let text = read_text(
            &mut std::io::stdin(),
            SECRET_LIMIT,
            "the PIN on stdin (--pin-stdin)",
        )?;
        let pin = otm::normalize_pin(&text)
            .map_err(|e| failure(Exit::Usage, format!("the PIN on stdin: {e}")))?;
        PinSource::Given(Mutex::new(Some(Secret::new(pin))))
    } else {
        PinSource::Prompt
    };
    let mut mfg_trust_anchors = Vec::new();
    for ca in &args.mfg_ca {
        mfg_trust_anchors.extend(certificates(ca)?);
    }
    let mut request = OwnRequest {
        device: parse_device(&args.device)?,
        method: match args.otm {
            OtmChoice::Auto => MethodChoice::Auto,
            OtmChoice::Jw => MethodChoice::Only(Method::JustWorks),
            OtmChoice::Rdp => MethodChoice::Only(Method::RandomPin),
            OtmChoice::Mfg => MethodChoice::Only(Method::ManufacturerCertificate),
        },
        mfg_trust_anchors,
        pin: None,
        provisioning: None,
    };
    let terminal = Arc::new(Terminal::with_pin_source(output, pin));
    let mediator = super::mediator(global, terminal.clone())?;
    // The identity certificate is signed while the ownership session runs
    // and written in it, in RFPRO.
    let identity = if args.dry_run {
        None
    } else {
        match super::cert::identity_signer(
            &mediator,
            args.identity.identity_cert,
            &args.profile.profile,
            args.identity.lifetime.cert_lifetime,
            global,
            terminal,
            None,
        )
        .await?
        {
            Some(signer) => {
                let owner = mediator.owner().await?;
                let label = args.device.clone();
                Some(Arc::new(IdentityInDoc::new(
                    &mediator, signer, owner, label,
                )))
            }
            None => None,
        }
    };
    if let Some(identity) = &identity {
        request.provisioning = Some(Arc::clone(identity) as Arc<dyn otm::Provisioning>);
    }
    if args.dry_run {
        let plan = otm::plan_own(&mediator, &request).await?;
        let heading = match (plan.action, plan.otm) {
            ("take", Some(otm)) => format!("would take {{}} by {otm}:"),
            ("resume", _) => "would resume the unfinished ownership of {}:".to_owned(),
            _ => "{} is already owned by this mediator; nothing would be done".to_owned(),
        };
        super::dry_run::show(
            output,
            &plan,
            plan.di,
            plan.name.as_deref(),
            &heading,
            &plan.steps,
        )?;
        return Ok(Exit::Success);
    }
    let owned = otm::own(&mediator, request).await?;
    let certificate = match &identity {
        Some(identity) => match identity.record().await? {
            Some(written) => Some(written),
            // Taken by an earlier run, or finished over an owner session:
            // the certificate goes over an owner session now.
            None if owned.change != OwnChange::Taken => {
                let located = mediator
                    .locate(
                        &crate::ocf::address::DeviceRef::Uuid(owned.di),
                        crate::net::now() + mediator.timeout(),
                    )
                    .await?;
                let has_one = mediator
                    .store()
                    .device_certificate(owned.di)
                    .await?
                    .is_some();
                if has_one {
                    None
                } else {
                    let deadline = crate::net::now() + mediator.timeout();
                    Some(
                        crate::cert::issue_located(
                            &mediator,
                            &located,
                            identity.signer(),
                            deadline,
                        )
                        .await?,
                    )
                }
            }
            None => None,
        },
        None => None,
    };
    report(&owned, certificate.as_ref(), output);
    Ok(Exit::Success)
}

fn report(owned: &Owned, certificate: Option<&CertOutcome>, output: &Output) {
    let expires = certificate.map(|c| humantime::format_rfc3339_seconds(c.not_after).to_string());
    if output.json {
        output.json_line(&serde_json::json!({
            "cert_signer": certificate.map(|c| c.signer.clone()),
            "cert_not_after": expires,
            "di": owned.di,
            "previous_di": owned.previous_di,
            "name": owned.name,
            "otm": owned.method,
            "keyring": owned.keyring,
            "changed": owned.change != OwnChange::AlreadyOwned,
            "repaired": owned.change == OwnChange::Finished,
            // What this run left the device in (its last write); when it
            // found the device already ours it wrote and read nothing.
            "state": (owned.change != OwnChange::AlreadyOwned).then_some("rfnop"),
        }));
        return;
    }
    if output.quiet {
        return;
    }
    let name = printable(owned.name.as_deref().unwrap_or("the device"));
    match owned.change {
        OwnChange::AlreadyOwned => println!(
            "{name} ({}) is already owned by this mediator; nothing to do",
            owned.di
        ),
        OwnChange::Taken | OwnChange::Finished => println!(
            "{} {name}: now {} (was {}), by {}; owner key in the {} keyring",
            if owned.change == OwnChange::Finished {
                "Finished owning"
            } else {
                "Owned"
            },
            owned.di,
            owned.previous_di,
            owned.method,
            owned.keyring
        ),
    }
    if let (Some(certificate), Some(expires)) = (certificate, expires) {
        println!(
            "  identity certificate from the {} signer, valid until {expires}",
            certificate.signer
        );
    }
}
