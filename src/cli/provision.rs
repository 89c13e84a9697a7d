//! `ocf-mediator provision`: which devices, which cloud, how far; the
//! library runs the pipelines; each device's record is shown as it ends,
//! and a summary at the end.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use super::args::{
    CloudArgs, GlobalArgs, IdentityCertChoice, OtmChoice, ProvisionArgs, ProvisionWait,
};
use super::credentials::certificates;
use super::exit::{Exit, exit_for_failure, failure};
use super::input::{BODY_LIMIT, SECRET_LIMIT, read_file_text, read_text};
use super::interaction::Terminal;
use super::output::{Output, printable, printable_lines, table};
use super::resolve::parse_device;
use crate::cert::Signer;
use crate::cloud::{CloudSettings, CloudToken};
use crate::interact::{Interaction, Secret};
use crate::mediator::Mediator;
use crate::net::{DiscoverOptions, discover};
use crate::otm::{Method, MethodChoice, normalize_pin};
use crate::provision::{Goal, ProvisionRecord, ProvisionRequest, parse_batch, provision_all};

pub async fn run(
    args: &ProvisionArgs,
    global: &GlobalArgs,
    output: &Output,
) -> anyhow::Result<Exit> {
    let terminal: Arc<dyn Interaction> = Arc::new(Terminal::new(output));
    let mediator = super::mediator(global, Arc::clone(&terminal))?;
    let mut mfg_trust_anchors = Vec::new();
    for ca in &args.mfg_ca {
        mfg_trust_anchors.extend(certificates(ca)?);
    }
    // Everything that can be read and checked is, before any device is
    // touched: the devices, their PINs, the clouds and their tokens.
    let mut clouds = Clouds::new(&mediator, global, Arc::clone(&terminal));
    let shared_token = if args.token_stdin {
        Some(super::cloud::token_from_stdin()?)
    } else {
        None
    };
    let stdin_pin = if args.pin_stdin {
        let text = read_text(
            &mut std::io::stdin(),
            SECRET_LIMIT,
            "the PIN on stdin (--pin-stdin)",
        )?;
        Some(pin(&text, "the PIN on stdin")?)
    } else {
        None
    };
    let goal = match args.wait {
        ProvisionWait::Registered => Goal::Registered,
        ProvisionWait::Configured => Goal::Configured,
    };
    let devices = devices(args, Arc::clone(&terminal), global.timeout).await?;
    if stdin_pin.is_some() && devices.len() > 1 {
        return Err(failure(
            Exit::Usage,
            "--pin-stdin is for one device; give each device of a batch its pin_file or pin_env",
        ));
    }
    let mut requests = Vec::new();
    for device in devices {
        let profile = device.profile.as_deref();
        let (cloud, profile_token) = clouds
            .get(&args.cloud, profile, shared_token.is_some())
            .await?;
        let token = match (&shared_token, profile_token) {
            (Some(token), _) => token.clone(),
            (None, Some(token)) => token,
            (None, None) => {
                return Err(failure(
                    Exit::Usage,
                    "with --cis and friends, the devices' token comes from stdin: pass --token-stdin",
                ));
            }
        };
        let otm = device.otm.unwrap_or(args.otm);
        let identity = clouds.identity(args, profile, &token).await?;
        requests.push(ProvisionRequest {
            device: parse_device(&device.device)?,
            name: device.device,
            method: method(otm),
            mfg_trust_anchors: mfg_trust_anchors.clone(),
            pin: device.pin.or_else(|| stdin_pin.clone()),
            cloud,
            token,
            goal,
            identity,
        });
    }
    let total = requests.len();
    let records = provision_all(&mediator, requests, usize::from(args.jobs), |record| {
        if output.json {
            output.json_line(&record_json(record));
        }
    })
    .await;
    if !output.json && !output.quiet {
        print!("{}", summary(&records));
    }
    let failed: Vec<&ProvisionRecord> = records.iter().filter(|r| !r.ok()).collect();
    if failed.is_empty() {
        return Ok(Exit::Success);
    }
    // Why each device failed, in a sentence that says what to do; also
    // with --json (its records carry the same words).
    for record in &failed {
        if let Some(failure) = &record.failure {
            eprintln!("error: {}", printable_lines(&failure.to_string()));
        }
    }
    if total == 1 {
        let record = failed[0];
        if let Some(failure) = &record.failure {
            return Ok(exit_for_failure(failure));
        }
    }
    output.note(&format!("{} of {total} devices failed", failed.len()));
    Ok(Exit::BatchPartial)
}

/// A device to provision, with its own settings.
struct Device {
    device: String,
    otm: Option<OtmChoice>,
    pin: Option<Arc<Secret>>,
    profile: Option<String>,
}

fn plain(device: String) -> Device {
    Device {
        device,
        otm: None,
        pin: None,
        profile: None,
    }
}

/// The devices named, listed in a batch file, found unowned, or picked.
async fn devices(
    args: &ProvisionArgs,
    interaction: Arc<dyn Interaction>,
    timeout: Duration,
) -> anyhow::Result<Vec<Device>> {
    let mut devices: Vec<Device> = args.devices.iter().cloned().map(plain).collect();
    if let Some(path) = &args.batch {
        let text = read_file_text(
            path,
            BODY_LIMIT * 16,
            &format!("--batch {}", path.display()),
        )?;
        let rows = parse_batch(&text)
            .map_err(|e| failure(Exit::Usage, format!("--batch {}: {e}", path.display())))?;
        for row in rows {
            let where_ = format!("--batch {} line {}", path.display(), row.line);
            let pin = match (&row.pin_file, &row.pin_env) {
                (Some(file), _) => {
                    let text = read_file_text(
                        std::path::Path::new(file),
                        SECRET_LIMIT,
                        &format!("{where_}: pin_file {file}"),
                    )?;
                    Some(pin(&text, &where_)?)
                }
                (None, Some(var)) => {
                    let text = std::env::var(var).map_err(|_| {
                        failure(
                            Exit::Usage,
                            format!("{where_}: the variable {var} is not set"),
                        )
                    })?;
                    Some(pin(&text, &where_)?)
                }
                (None, None) => None,
            };
            let otm = match row.otm.as_deref() {
                Some("jw") => Some(OtmChoice::Jw),
                Some("rdp") => Some(OtmChoice::Rdp),
                Some("mfg") => Some(OtmChoice::Mfg),
                Some(_) => Some(OtmChoice::Auto),
                None => None,
            };
            parse_device(&row.device)
                .map_err(|e| failure(Exit::Usage, format!("{where_}: {e:#}")))?;
            devices.push(Device {
                device: row.device,
                otm,
                pin,
                profile: row.profile,
            });
        }
    }
    if args.all_unowned || (devices.is_empty() && args.batch.is_none()) {
        let found = unowned(timeout).await?;
        if args.all_unowned {
            devices.extend(found.into_iter().map(|(di, _)| plain(di)));
        } else {
            if found.is_empty() {
                return Err(failure(
                    Exit::NotFound,
                    "no unowned device answered multicast discovery; name devices, or give --batch FILE",
                ));
            }
            let labels: Vec<String> = found.iter().map(|(_, label)| label.clone()).collect();
            let picked = tokio::task::spawn_blocking(move || {
                interaction.choose_many("Which devices should be provisioned?", &labels)
            })
            .await
            .unwrap_or(Err(crate::interact::Declined::Cancelled))
            .map_err(|reason| {
                failure(
                    Exit::Usage,
                    format!("no devices named ({reason}): name them, or use --batch FILE or --all-unowned"),
                )
            })?;
            devices.extend(
                picked
                    .into_iter()
                    .filter_map(|i| found.get(i))
                    .map(|(di, _)| plain(di.clone())),
            );
        }
    }
    if devices.is_empty() {
        return Err(failure(Exit::Usage, "no devices to provision"));
    }
    Ok(devices)
}

/// The unowned devices a multicast round finds: (UUID, label for people).
async fn unowned(timeout: Duration) -> anyhow::Result<Vec<(String, String)>> {
    let options = DiscoverOptions {
        timeout,
        ..DiscoverOptions::default()
    };
    let outcome = discover(&options).await?;
    if outcome.multicast_interfaces == 0 {
        return Err(failure(
            Exit::NotFound,
            "no interface can send multicast to look for devices: name them instead",
        ));
    }
    let mut devices = outcome.devices;
    // In a stable order for people: by name, then UUID.
    devices.sort_by(|a, b| (&a.name, a.di).cmp(&(&b.name, b.di)));
    Ok(devices
        .into_iter()
        .filter(|d| d.owned == Some(false))
        .map(|d| {
            let label = format!(
                "{}  {}  {}",
                printable(d.name.as_deref().unwrap_or("-")),
                d.di,
                d.otms.join(",")
            );
            (d.di.to_string(), label)
        })
        .collect())
}

fn pin(text: &str, what: &str) -> anyhow::Result<Arc<Secret>> {
    let pin = normalize_pin(text).map_err(|e| failure(Exit::Usage, format!("{what}: {e}")))?;
    Ok(Arc::new(Secret::new(pin)))
}

fn method(otm: OtmChoice) -> MethodChoice {
    match otm {
        OtmChoice::Auto => MethodChoice::Auto,
        OtmChoice::Jw => MethodChoice::Only(Method::JustWorks),
        OtmChoice::Rdp => MethodChoice::Only(Method::RandomPin),
        OtmChoice::Mfg => MethodChoice::Only(Method::ManufacturerCertificate),
    }
}

/// Each profile's cloud and token source, made once: a batch's devices
/// share one token source per profile (and one refresh).
struct Clouds<'a> {
    mediator: &'a Mediator,
    global: &'a GlobalArgs,
    interaction: Arc<dyn Interaction>,
    known: HashMap<Option<String>, (CloudSettings, Option<CloudToken>)>,
    /// Each profile's signer of identity certificates: one per profile, so
    /// that a batch loads the local CA, and gets the mediator's own
    /// certificate, once.
    signers: HashMap<Option<String>, Option<Signer>>,
}

impl<'a> Clouds<'a> {
    fn new(
        mediator: &'a Mediator,
        global: &'a GlobalArgs,
        interaction: Arc<dyn Interaction>,
    ) -> Self {
        Clouds {
            mediator,
            global,
            interaction,
            known: HashMap::new(),
            signers: HashMap::new(),
        }
    }

    /// The signer of `--identity-cert` for devices of `profile` (the batch
    /// line's, else --profile); the hub's signs with the profile's token.
    async fn identity(
        &mut self,
        args: &ProvisionArgs,
        profile: Option<&str>,
        token: &CloudToken,
    ) -> anyhow::Result<Option<Signer>> {
        let key = profile.map(str::to_owned);
        if let Some(known) = self.signers.get(&key) {
            return Ok(known.clone());
        }
        // One local CA for every profile.
        let local = self
            .signers
            .values()
            .flatten()
            .find(|s| s.kind_name() == "local");
        let signer = match (args.identity.identity_cert, local) {
            (Some(IdentityCertChoice::Local), Some(local)) => Some(local.clone()),
            (choice, _) => {
                let name = profile.unwrap_or(&args.cloud.profile.profile);
                let tokens = match token {
                    CloudToken::Source(tokens) => Some(tokens.clone()),
                    CloudToken::Given(_) => None,
                };
                // Cloud settings from flags name no profile: no default
                // signer then, only one asked for.
                let choice = match (choice, args.cloud.cis.is_some() && profile.is_none()) {
                    (None, true) => Some(IdentityCertChoice::None),
                    (choice, _) => choice,
                };
                super::cert::identity_signer(
                    self.mediator,
                    choice,
                    name,
                    args.identity.lifetime.cert_lifetime,
                    self.global,
                    Arc::clone(&self.interaction),
                    tokens,
                )
                .await?
            }
        };
        self.signers.insert(key, signer.clone());
        Ok(signer)
    }

    async fn get(
        &mut self,
        args: &CloudArgs,
        profile: Option<&str>,
        token_given: bool,
    ) -> anyhow::Result<(CloudSettings, Option<CloudToken>)> {
        let key = profile.map(str::to_owned);
        if let Some(known) = self.known.get(&key) {
            return Ok(known.clone());
        }
        let (cloud, profile) = super::cloud::settings(args, profile, self.mediator).await?;
        let token = match (&profile, token_given) {
            (Some(profile), false) => Some(CloudToken::Source(
                super::cloud::token_source(
                    self.mediator,
                    profile,
                    self.global,
                    Arc::clone(&self.interaction),
                )
                .await?,
            )),
            _ => None,
        };
        self.known.insert(key, (cloud.clone(), token.clone()));
        Ok((cloud, token))
    }
}

fn time(t: std::time::SystemTime) -> String {
    humantime::format_rfc3339_millis(t).to_string()
}

/// One device's record as a JSON line.
fn record_json(record: &ProvisionRecord) -> serde_json::Value {
    let steps: Vec<serde_json::Value> = record
        .steps
        .iter()
        .map(|s| {
            serde_json::json!({
                "step": s.step,
                "start": time(s.started),
                "end": s.ended.map(time),
                "ok": s.ok,
                "error": s.error,
                "code": s.code,
                "request": s.request,
            })
        })
        .collect();
    let mut value = serde_json::json!({
        "device": record.device,
        "di": record.di,
        "name": record.name,
        "ok": record.ok(),
        "cps": record.cps,
        "steps": steps,
    });
    if let Some(failure) = &record.failure {
        if let Some(step) = record.failed_step() {
            value["failed_step"] = step.step.into();
        }
        value["error"] = failure.to_string().into();
        value["exit"] = (exit_for_failure(failure) as u8).into();
    }
    value
}

/// The table at the end: each device and how it ended.
fn summary(records: &[ProvisionRecord]) -> String {
    let rows: Vec<Vec<String>> = records
        .iter()
        .map(|r| {
            let took = match (r.steps.first(), r.steps.last().and_then(|s| s.ended)) {
                (Some(first), Some(end)) => end
                    .duration_since(first.started)
                    .map(|d| format!("{:.1}s", d.as_secs_f64()))
                    .unwrap_or_default(),
                _ => String::new(),
            };
            // The reasons follow the table, one line each.
            let outcome = match (&r.failure, r.failed_step()) {
                (None, _) => r.cps.clone().unwrap_or_else(|| "done".into()),
                (Some(_), Some(step)) => format!("failed at {}", step.step),
                (Some(_), None) => "failed".into(),
            };
            vec![
                r.device.clone(),
                r.di.map(|d| d.to_string()).unwrap_or_else(|| "-".into()),
                r.name.clone().unwrap_or_else(|| "-".into()),
                outcome,
                took,
            ]
        })
        .collect();
    table(&["DEVICE", "DI", "NAME", "RESULT", "TIME"], &rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::CloudError;
    use crate::coap::Code;
    use crate::ocf::DeviceError;
    use crate::provision::{ProvisionError, StepRecord};

    /// A device that refused the cloud configuration: its record names the
    /// step, the request, the CoAP code and the error, with the times.
    #[test]
    fn a_failed_step_carries_its_coap_code_and_error() {
        let mut record = ProvisionRecord::new("127.0.0.1:5683");
        record.di = Some(uuid::Uuid::nil());
        record.name = Some("Porch".into());
        let mut locate = StepRecord::start("locate");
        locate.ended = Some(locate.started);
        locate.ok = true;
        record.steps.push(locate);
        let mut configure = StepRecord::start("configure");
        let failure = ProvisionError::Cloud(CloudError::Device {
            error: DeviceError::Refused {
                peer: "Porch".into(),
                step: "write the cloud configuration".into(),
                code: Code::UNAUTHORIZED,
                diagnostic: None,
            },
            in_rfpro: false,
        });
        configure.ended = Some(configure.started);
        configure.error = Some(failure.to_string());
        configure.code = failure
            .device_error()
            .and_then(|e| e.code())
            .map(|c| c.to_string());
        configure.request = failure
            .device_error()
            .and_then(|e| e.step())
            .map(str::to_owned);
        record.steps.push(configure);
        record.cps = Some("uninitialized".into());
        record.failure = Some(failure);
        let json = record_json(&record);
        assert_eq!(json["di"], uuid::Uuid::nil().to_string());
        assert_eq!(json["name"], "Porch");
        assert_eq!(json["ok"], false);
        assert_eq!(json["cps"], "uninitialized");
        assert_eq!(json["failed_step"], "configure");
        assert_eq!(json["exit"], 6);
        let failed = &json["steps"][1];
        assert_eq!(failed["code"], "4.01");
        assert_eq!(failed["request"], "write the cloud configuration");
        assert!(
            failed["error"].as_str().unwrap().contains("4.01"),
            "{failed}"
        );
        for step in json["steps"].as_array().unwrap() {
            assert!(humantime::parse_rfc3339(step["start"].as_str().unwrap()).is_ok());
            assert!(humantime::parse_rfc3339(step["end"].as_str().unwrap()).is_ok());
        }
    }
}
