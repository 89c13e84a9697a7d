//! `ocf-mediator cert issue | renew | ca`, and the signers `--identity-cert`
//! names for `own` and `provision`.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::args::{CertCommand, GlobalArgs, IdentityCertChoice, SignerChoice};
use super::exit::{Exit, failure};
use super::interaction::Terminal;
use super::output::{Output, printable};
use super::resolve::parse_device;
use crate::cert::{self, CertError, CertOutcome, Signer};
use crate::interact::Interaction;
use crate::mediator::Mediator;
use crate::oauth::{Profile, TokenSource};

pub async fn run(
    command: &CertCommand,
    global: &GlobalArgs,
    output: &Output,
) -> anyhow::Result<Exit> {
    let terminal: Arc<dyn Interaction> = Arc::new(Terminal::new(output));
    let mediator = super::mediator(global, Arc::clone(&terminal))?;
    match command {
        CertCommand::Issue(args) => {
            let device = parse_device(&args.device.device)?;
            let profile = load_profile(&mediator, &args.profile.profile).await?;
            let choice = match args.signer {
                Some(SignerChoice::Hub) => IdentityCertChoice::Hub,
                Some(SignerChoice::Local) => IdentityCertChoice::Local,
                None if names_ca(profile.as_ref()) => IdentityCertChoice::Hub,
                None => IdentityCertChoice::Local,
            };
            let signer = signer(
                &mediator,
                choice,
                &args.profile.profile,
                profile.as_ref(),
                args.lifetime.cert_lifetime,
                global,
                terminal,
                None,
            )
            .await?
            .expect("hub or local");
            let outcome = cert::issue(&mediator, &device, &signer).await?;
            report(&outcome, true, output);
        }
        CertCommand::Renew(args) => {
            let device = parse_device(&args.device.device)?;
            if let Some(within) = args.within {
                if let Some(recorded) = on_record(&mediator, &device).await? {
                    let left = recorded
                        .not_after
                        .duration_since(SystemTime::now())
                        .unwrap_or(Duration::ZERO);
                    if left > within {
                        report(&recorded, false, output);
                        return Ok(Exit::Success);
                    }
                }
            }
            let lifetime = args.lifetime.cert_lifetime;
            let outcome = cert::renew(&mediator, &device, async |name: &str| {
                recorded_signer(&mediator, name, lifetime, global, Arc::clone(&terminal)).await
            })
            .await?;
            report(&outcome, true, output);
        }
        CertCommand::Ca => {
            let owner = mediator.owner().await?;
            let ca = Signer::local(Duration::from_secs(24 * 3600))
                .local_ca(mediator.store(), mediator.keyring(), owner)
                .await?
                .expect("a local signer has a CA");
            if output.json {
                output.json_line(&serde_json::json!({
                    "certificate": ca.cert_pem,
                    "cert_not_after": humantime::format_rfc3339_seconds(ca.not_after).to_string(),
                }));
            } else {
                print!("{}", ca.cert_pem);
            }
        }
    }
    Ok(Exit::Success)
}

/// The certificate on record for a device we own, as an outcome of
/// nothing done.
async fn on_record(
    mediator: &Mediator,
    device: &crate::ocf::address::DeviceRef,
) -> anyhow::Result<Option<CertOutcome>> {
    let di = match device {
        crate::ocf::address::DeviceRef::Uuid(di) => *di,
        _ => {
            let deadline = crate::net::now() + mediator.timeout();
            mediator.locate(device, deadline).await?.record.di
        }
    };
    let Some(recorded) = mediator.store().device_certificate(di).await? else {
        return Ok(None);
    };
    let name = mediator
        .store()
        .device(di)
        .await?
        .map(|d| d.name)
        .filter(|n| !n.is_empty());
    Ok(Some(CertOutcome {
        di,
        name,
        signer: recorded.signer,
        not_after: recorded.not_after,
        replaced: 0,
    }))
}

/// A device's certificate after `issue` or `renew` (`renewed` false: the
/// one on record was left alone).
fn report(outcome: &CertOutcome, renewed: bool, output: &Output) {
    let expires = humantime::format_rfc3339_seconds(outcome.not_after).to_string();
    if output.json {
        output.json_line(&serde_json::json!({
            "di": outcome.di,
            "name": outcome.name,
            "cert_signer": outcome.signer,
            "cert_not_after": expires,
            "replaced": outcome.replaced,
            "renewed": renewed,
        }));
        return;
    }
    if output.quiet {
        return;
    }
    let device = match &outcome.name {
        Some(name) if !name.is_empty() => format!("{} ({})", printable(name), outcome.di),
        _ => outcome.di.to_string(),
    };
    if renewed {
        println!(
            "{device}: identity certificate from the {} signer, valid until {expires}",
            outcome.signer
        );
    } else {
        println!("{device}: its identity certificate is valid until {expires}; not renewed");
    }
}

/// The profile `name`, when it exists.
async fn load_profile(mediator: &Mediator, name: &str) -> anyhow::Result<Option<Profile>> {
    crate::oauth::profile::check_name(name)?;
    Ok(crate::oauth::profile::load(mediator.store(), name).await?)
}

/// Whether a profile's hub names a certificate authority.
fn names_ca(profile: Option<&Profile>) -> bool {
    profile.is_some_and(|p| p.certificate_authority.is_some())
}

/// The signer of `--identity-cert` for devices of profile `profile_name`:
/// the choice, or by default the hub when the profile's hub names a
/// certificate authority, else none. `tokens` is the profile's token source
/// when the caller has one already (one refresh for both uses).
pub(super) async fn identity_signer(
    mediator: &Mediator,
    choice: Option<IdentityCertChoice>,
    profile_name: &str,
    lifetime: Duration,
    global: &GlobalArgs,
    interaction: Arc<dyn Interaction>,
    tokens: Option<TokenSource>,
) -> anyhow::Result<Option<Signer>> {
    let (choice, profile) = match choice {
        Some(IdentityCertChoice::None) => return Ok(None),
        Some(IdentityCertChoice::Local) => return Ok(Some(Signer::local(lifetime))),
        Some(IdentityCertChoice::Hub) => (
            IdentityCertChoice::Hub,
            load_profile(mediator, profile_name).await?,
        ),
        None => {
            let profile = load_profile(mediator, profile_name).await?;
            if !names_ca(profile.as_ref()) {
                return Ok(None);
            }
            (IdentityCertChoice::Hub, profile)
        }
    };
    signer(
        mediator,
        choice,
        profile_name,
        profile.as_ref(),
        lifetime,
        global,
        interaction,
        tokens,
    )
    .await
}

/// A signer: the local CA, or the hub of `profile` (with `tokens` when
/// given, else a token source of its own).
#[allow(clippy::too_many_arguments)]
async fn signer(
    mediator: &Mediator,
    choice: IdentityCertChoice,
    profile_name: &str,
    profile: Option<&Profile>,
    lifetime: Duration,
    global: &GlobalArgs,
    interaction: Arc<dyn Interaction>,
    tokens: Option<TokenSource>,
) -> anyhow::Result<Option<Signer>> {
    match choice {
        IdentityCertChoice::None => Ok(None),
        IdentityCertChoice::Local => Ok(Some(Signer::local(lifetime))),
        IdentityCertChoice::Hub => {
            let tokens = match tokens {
                Some(tokens) => tokens,
                None => {
                    let Some(profile) = profile else {
                        return Err(failure(
                            Exit::Usage,
                            format!(
                                "the hub signer signs with the hub of a profile, and there is \
                                 no profile {profile_name:?}: log in with `ocf-mediator login --hub`, \
                                 or use the local signer"
                            ),
                        ));
                    };
                    super::cloud::token_source(mediator, profile, global, interaction).await?
                }
            };
            Ok(Some(Signer::hub(tokens)?))
        }
    }
}

/// The signer a certificate on record names: `local`, or `hub:<profile>`.
pub(super) async fn recorded_signer(
    mediator: &Mediator,
    name: &str,
    lifetime: Duration,
    global: &GlobalArgs,
    interaction: Arc<dyn Interaction>,
) -> Result<Signer, CertError> {
    if name == "local" {
        return Ok(Signer::local(lifetime));
    }
    let Some(profile_name) = name.strip_prefix("hub:") else {
        return Err(CertError::Invalid(format!(
            "the certificate on record names an unknown signer {name:?}"
        )));
    };
    let profile = crate::oauth::profile::load(mediator.store(), profile_name)
        .await
        .map_err(CertError::Hub)?
        .ok_or_else(|| {
            CertError::Invalid(format!(
                "the certificate on record was signed by the hub of profile {profile_name:?}, \
                 which is gone: log in again, or use `cert issue --signer local`"
            ))
        })?;
    let tokens = super::cloud::token_source(mediator, &profile, global, interaction)
        .await
        .map_err(|e| match e.downcast::<crate::oauth::OAuthError>() {
            Ok(e) => CertError::Hub(e),
            Err(e) => CertError::Invalid(format!("{e:#}")),
        })?;
    Signer::hub(tokens)
}

/// The default lifetime of the mediator's own identity certificate from
/// the local CA, when a session needs it before any `--cert-lifetime`.
pub(super) const OWN_LIFETIME: Duration = Duration::from_secs(365 * 24 * 3600);
