//! `ocf-mediator own`: ownership transfer, crash-safe.
//!
//! The order that makes it safe (issue 4, item 4):
//! 1. choose the UUID the device will take and start writing our entry for
//!    it (incomplete) to the state file (for a PIN, once it is entered);
//!    unsecured, select the method (`oxmsel`) that discovery found offered;
//! 2. open the device ownership connection (DOC); derive the owner PSK
//!    from its key material and that UUID, and start writing it to the
//!    keyring (as soon as the keys exist, a round trip before the device
//!    confirms them: a failed handshake drops it again);
//! 3. the DOC steps (owner, UUIDs, credential) run meanwhile, but the steps
//!    that make the device look owned (`owned`, RFPRO) wait until both
//!    writes are durable: from then on, whatever the device holds, we hold
//!    too. If a write fails the device, still in RFOTM, is reset; on a
//!    refusal the device is reset while the DOC allows it, and only a
//!    confirmed reset drops the stored key;
//! 4. still in the DOC, as the reference tool does: ACL, RFNOP; the entry
//!    is marked complete.
//!
//! Run again on a device with an incomplete entry, `own` repairs: if the
//! device accepts our key it finishes step 4 over an owner session
//! (resetting a device stuck in RFOTM); if it is unowned again, it starts
//! over.

use std::io::Read;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use uuid::Uuid;

use super::args::{GlobalArgs, OtmChoice, OwnArgs};
use super::credentials::certificates;
use super::devices::forget_device;
use super::exchange::send_plain;
use super::exit::{Exit, exit_of, failure};
use super::failpoint;
use super::output::Output;
use super::pending_store::PendingStore;
use super::session::{
    locate, open, open_watching_keys, owner_config, owner_key, secure_endpoint, send_step,
};
use crate::coap::Code;
use crate::dtls::{ClientConfig, derive_owner_psk};
use crate::net::secure::{SecureSession, prepare_ephemeral_keys};
use crate::ocf::discovery::DeviceRecord;
use crate::ocf::representation::{decode_cbor, encode_cbor};
use crate::ocf::request::{ocf_get, ocf_request_with_body};
use crate::ocf::resources::field;
use crate::otm::{self, Method, RDP_IDENTITY, Step};
use crate::store::{KeyringKind, OwnedDevice, Secrets, Store};

const NOT_STORED: &str = "the owner key could not be stored, so the device was not taken";

/// The states of pstat `dos.s`.
const RFOTM: u64 = 1;

pub async fn run(args: &OwnArgs, global: &GlobalArgs, output: &Output) -> anyhow::Result<Exit> {
    let store = Store::open(global.state_dir.as_deref())?;
    let kind = keyring_kind(global, output);
    let secrets = Secrets::open(kind)?;
    // The keyring connection and the key-encryption key, and the key pair
    // of the handshake, are made while the device is being found.
    store.warm_up(kind);
    prepare_ephemeral_keys(1);
    // First use: make the mediator's identity and keep it.
    let owner = store.mediator_uuid().await?;
    let record = locate(&args.device, &store, global.timeout, output).await?;
    let job = Job {
        args,
        global,
        output,
        owner,
        store: &store,
        secrets: &secrets,
        record: &record,
    };
    let entry = store.device(record.di).await?;
    let outcome = match entry {
        Some(entry) => job.repair(entry).await?,
        None if record.owned == Some(true) => {
            return Err(failure(
                Exit::Refused,
                format!(
                    "{} is already owned, and not by this mediator (its state has no key for it); \
                     it must be reset by its owner or at the device before it can be taken",
                    record.di
                ),
            ));
        }
        None => job.transfer(None).await?,
    };
    job.report(&outcome);
    Ok(Exit::Success)
}

/// The keyring new keys go to.
pub fn keyring_kind(global: &GlobalArgs, output: &Output) -> KeyringKind {
    if global.volatile_keyring {
        output.note(
            "warning: --volatile-keyring: owner keys go to the kernel keyring and are lost on reboot; \
             a device whose key is lost cannot be managed or disowned any more",
        );
        KeyringKind::Kernel
    } else {
        KeyringKind::SecretService
    }
}

struct Job<'a> {
    args: &'a OwnArgs,
    global: &'a GlobalArgs,
    output: &'a Output,
    owner: Uuid,
    store: &'a Store,
    secrets: &'a Secrets,
    record: &'a DeviceRecord,
}

struct Outcome {
    di: Uuid,
    previous_di: Uuid,
    method: String,
    keyring: KeyringKind,
    repaired: bool,
}

impl Job<'_> {
    fn deadline(&self) -> Instant {
        Instant::now() + self.global.timeout
    }

    fn progress(&self, message: &str) {
        self.output.debug(message);
    }

    /// A fresh ownership transfer of an unowned device. `stale` is an
    /// earlier, unfinished entry of ours for it, dropped once this succeeds.
    async fn transfer(&self, stale: Option<Uuid>) -> anyhow::Result<Outcome> {
        let record = self.record;
        let plain = record.address;
        let secure = secure_endpoint(record)?;
        // Discovery has read doxm: ownership, methods offered, selection.
        match record.owned {
            Some(false) => {}
            Some(true) => {
                return Err(failure(
                    Exit::Refused,
                    format!("{} is already owned", record.di),
                ));
            }
            None => {
                return Err(failure(
                    Exit::Failed,
                    format!(
                        "{} did not let its ownership be read (GET /oic/sec/doxm); try again",
                        record.di
                    ),
                ));
            }
        }
        let method = self.choose_method(&record.oxms)?;
        let previous_oxmsel = record.oxmsel;
        let device_uuid = record.di;
        self.progress(&format!("{}: taking ownership by {method}", record.di));
        let select_in_doc = method == Method::ManufacturerCertificate;
        if let Some(e) = self.secrets.known_unavailable() {
            return Err(anyhow::Error::new(e).context(NOT_STORED));
        }
        // The UUID the device will take, and our entry for it, written while
        // the device is talked to (pending_store.rs): from here on, except
        // for a PIN, which only once the person has entered it, so that an
        // abandoned prompt leaves nothing behind.
        let new_uuid = Uuid::new_v4();
        let entry = OwnedDevice {
            di: new_uuid,
            name: record.name.clone().unwrap_or_default(),
            endpoints: record.endpoints.clone(),
            otm: method.name().into(),
            keyring: self.secrets.kind(),
            complete: false,
            previous_uuid: Some(record.di),
            doc_port: None,
            created: None,
            updated: None,
        };
        let early =
            (method != Method::RandomPin).then(|| PendingStore::entry(self.store, entry.clone()));
        if !select_in_doc {
            let selected = self
                .post_plain(plain, "/oic/sec/doxm", &map1("oxmsel", method.oxm()))
                .await;
            if let Err(e) = selected {
                self.drop_pending(early, new_uuid).await;
                return Err(e);
            }
        }
        let config = match self.doc_config(method, device_uuid) {
            Ok(config) => config,
            Err(e) => {
                self.restore_oxmsel(plain, previous_oxmsel).await;
                self.drop_pending(early, new_uuid).await;
                return Err(e);
            }
        };
        let mut storing = match early {
            Some(early) => early,
            None => PendingStore::entry(self.store, entry),
        };
        failpoint::before_request();
        // The owner key is derived, and its write started, as soon as the
        // session's keys exist: a round trip before the device confirms them.
        let mut key_known = false;
        let opened = open_watching_keys(
            secure,
            config,
            self.deadline(),
            "ownership transfer handshake",
            |material| {
                let key = derive_owner_psk(
                    &material,
                    method.urn(),
                    *self.owner.as_bytes(),
                    *new_uuid.as_bytes(),
                );
                storing.key(&key);
                key_known = true;
            },
        )
        .await;
        let mut doc = match opened {
            Ok(doc) if key_known => doc,
            opened => {
                // Nothing of ownership was written: leave the device as found
                // (and drop what was stored for it).
                let error = match opened {
                    Ok(doc) => {
                        doc.close().await;
                        failure(Exit::Failed, "the DTLS session exported no key material")
                    }
                    Err(e) => explain_doc_failure(method, e),
                };
                let _ = storing.finish().await;
                let _ = self.forget(new_uuid).await;
                self.restore_oxmsel(plain, previous_oxmsel).await;
                return Err(error);
            }
        };
        let name = format!("ocf-mediator {}", &self.owner.to_string()[..8]);
        let select = select_in_doc.then(|| otm::select_step(method));
        // The whole reference sequence runs in the DOC, as the reference
        // tool does and the real device accepts (FACTS §2.4, steps 3–15): a
        // separate owner session for the ACL and RFNOP would cost a second
        // handshake.
        let steps = select
            .into_iter()
            .chain(otm::doc_steps(self.owner, new_uuid, &name))
            .chain(otm::owner_steps(self.owner, record.cloud_conf.as_deref()));
        for step in steps {
            if step.needs_stored_key {
                if let Err(e) = storing.finish().await {
                    return Err(self.abort_unstored(doc, new_uuid, e).await);
                }
            }
            if let Err(e) = self.step(&mut doc, &step).await {
                if let Err(store_error) = storing.finish().await {
                    return Err(self.abort_unstored(doc, new_uuid, store_error).await);
                }
                return Err(self.abort_doc(doc, new_uuid, e).await);
            }
        }
        storing.finish().await?;
        doc.close().await;
        self.store.mark_complete(new_uuid).await?;
        // Entries of earlier, interrupted attempts on this device are stale
        // now: the device holds only the credential just installed.
        let previous = record.di;
        let stale_entries = self.store.devices_from(previous).await?;
        let stale_entries = stale_entries
            .iter()
            .filter(|e| e.di != new_uuid && !e.complete);
        for di in stale_entries.map(|e| e.di).chain(stale).collect::<Vec<_>>() {
            if di != new_uuid {
                self.forget(di).await?;
            }
        }
        Ok(Outcome {
            di: new_uuid,
            previous_di: record.di,
            method: method.name().into(),
            keyring: self.secrets.kind(),
            repaired: false,
        })
    }

    /// `own` on a device we hold an entry for.
    async fn repair(&self, entry: OwnedDevice) -> anyhow::Result<Outcome> {
        let di = self.record.di;
        if self.record.owned == Some(false) {
            // Back in RFOTM and unowned: it lost (or never got) our
            // credential, so the old key is worthless. Start over.
            self.output
                .note(&format!("{di} is unowned again; taking it afresh"));
            return self.transfer(Some(di)).await;
        }
        let key = owner_key(self.store, &entry).await?;
        let secure = secure_endpoint(self.record)?;
        failpoint::before_request();
        let mut session = open(
            secure,
            owner_config(self.owner, key.bytes()),
            self.deadline(),
            "owner session",
        )
        .await?;
        let pstat = self.read(&mut session, "/oic/sec/pstat").await?;
        let s = field(&pstat, "dos")
            .and_then(|d| field(d, "s"))
            .and_then(|s| s.as_integer())
            .map(i128::from);
        if s == Some(RFOTM.into()) {
            // It holds our key but never left RFOTM, and only a DOC may
            // finish that: reset it, wait, and take it afresh.
            self.output.note(&format!(
                "{di} stopped half-way through ownership; resetting it to start over"
            ));
            self.step(&mut session, &otm::reset_step()).await?;
            session.close().await;
            let fresh = self.wait_until_unowned().await?;
            let job = Job {
                record: &fresh,
                ..*self
            };
            return job.transfer(Some(di)).await;
        }
        session.close().await;
        self.finish(secure, di, key.bytes()).await?;
        Ok(Outcome {
            di,
            previous_di: entry.previous_uuid.unwrap_or(di),
            method: entry.otm.clone(),
            keyring: entry.keyring,
            repaired: true,
        })
    }

    /// Over an owner session, for an ownership that stopped after the DOC
    /// was gone: the ACL, then RFNOP; the entry becomes complete.
    async fn finish(&self, secure: SocketAddr, di: Uuid, key: &[u8]) -> anyhow::Result<()> {
        failpoint::before_request();
        let mut session = open(
            secure,
            owner_config(self.owner, key),
            self.deadline(),
            "owner session",
        )
        .await?;
        for step in otm::owner_steps(self.owner, self.record.cloud_conf.as_deref()) {
            self.step(&mut session, &step).await?;
        }
        session.close().await;
        Ok(self.store.mark_complete(di).await?)
    }

    /// After a failed DOC step: reset the device if the DOC still carries
    /// requests, and drop the key only once the device agreed.
    async fn abort_doc(
        &self,
        mut doc: SecureSession,
        new_uuid: Uuid,
        error: anyhow::Error,
    ) -> anyhow::Error {
        if exit_of(&error) == Exit::Refused {
            failpoint::before_request();
            let reset = send_step(&mut doc, &otm::reset_step(), self.deadline()).await;
            doc.close().await;
            if reset.is_ok() && self.forget(new_uuid).await.is_ok() {
                return error
                    .context("ownership failed; the device was reset and is ownable again");
            }
        } else {
            doc.close().await;
        }
        error.context(format!(
            "ownership did not finish; the owner key is kept, so run `ocf-mediator own {new_uuid}` again to finish or repair it"
        ))
    }

    /// The key could not be stored while the DOC was under way: the device
    /// is still in RFOTM (nothing that makes it look owned was sent), so it
    /// is reset over the DOC, and whatever part was stored is dropped.
    async fn abort_unstored(
        &self,
        mut doc: SecureSession,
        new_uuid: Uuid,
        error: anyhow::Error,
    ) -> anyhow::Error {
        failpoint::before_request();
        let reset = send_step(&mut doc, &otm::reset_step(), self.deadline()).await;
        doc.close().await;
        let _ = self.forget(new_uuid).await;
        error.context(match reset {
            Ok(_) => format!("{NOT_STORED}; it was reset, and is unowned again (with a new UUID) once it restarts"),
            Err(_) => format!(
                "{NOT_STORED}; it did not confirm a reset, stays in RFOTM and drops the partial \
                 ownership when its ownership session ends (else reset it at the device)"
            ),
        })
    }

    /// Waits for the entry write started before the device was touched,
    /// then drops that entry again.
    async fn drop_pending(&self, pending: Option<PendingStore>, new_uuid: Uuid) {
        if let Some(mut pending) = pending {
            let _ = pending.finish().await;
            let _ = self.forget(new_uuid).await;
        }
    }

    /// Drops an entry and its key (entry first: never an entry without key).
    async fn forget(&self, di: Uuid) -> anyhow::Result<()> {
        forget_device(self.store, di).await.map(drop)
    }

    async fn wait_until_unowned(&self) -> anyhow::Result<DeviceRecord> {
        wait_until_unowned(self.record.address, self.global.timeout + RESET_DELAY).await
    }

    fn choose_method(&self, oxms: &[u64]) -> anyhow::Result<Method> {
        let offered: Vec<&str> = oxms
            .iter()
            .map(|o| crate::ocf::resources::oxm_name(*o))
            .collect();
        let method = match self.args.otm {
            OtmChoice::Auto => Method::choose(oxms, !self.args.mfg_ca.is_empty()),
            OtmChoice::Jw => Some(Method::JustWorks),
            OtmChoice::Rdp => Some(Method::RandomPin),
            OtmChoice::Mfg => Some(Method::ManufacturerCertificate),
        };
        match method {
            Some(m) if oxms.contains(&m.oxm()) => {
                if m == Method::ManufacturerCertificate && self.args.mfg_ca.is_empty() {
                    return Err(failure(
                        Exit::Usage,
                        "--otm mfg needs the manufacturer's trust anchors: --mfg-ca FILE",
                    ));
                }
                Ok(m)
            }
            Some(m) => Err(failure(
                Exit::Usage,
                format!(
                    "{} does not offer {m} ({}); it offers: {}",
                    self.record.di,
                    m.name(),
                    offered.join(", ")
                ),
            )),
            None => Err(failure(
                Exit::Failed,
                format!(
                    "{} offers no method this mediator can use ({})",
                    self.record.di,
                    offered.join(", ")
                ),
            )),
        }
    }

    /// The DOC's DTLS configuration for a method.
    fn doc_config(&self, method: Method, device_uuid: Uuid) -> anyhow::Result<Arc<ClientConfig>> {
        let mut config = ClientConfig::new(method.cipher_suites());
        match method {
            Method::JustWorks => {}
            Method::RandomPin => {
                let pin = self.read_pin()?;
                let key = otm::random_pin_psk(&pin, device_uuid);
                config = config.with_psk(RDP_IDENTITY, &key);
            }
            Method::ManufacturerCertificate => {
                for ca in &self.args.mfg_ca {
                    config.common.trust_anchors.extend(certificates(ca)?);
                }
            }
        }
        Ok(Arc::new(config))
    }

    /// The PIN the device shows: from stdin with --pin-stdin, else a hidden prompt.
    fn read_pin(&self) -> anyhow::Result<String> {
        let typed = if self.args.pin_stdin {
            let mut text = String::new();
            std::io::stdin()
                .take(256)
                .read_to_string(&mut text)
                .map_err(|e| {
                    failure(Exit::Usage, format!("cannot read the PIN from stdin: {e}"))
                })?;
            text
        } else if self.output.interactive {
            dialoguer::Password::new()
                .with_prompt("PIN shown by the device")
                .interact()
                .map_err(|e| failure(Exit::Usage, format!("no PIN entered: {e}")))?
        } else {
            return Err(failure(
                Exit::Usage,
                "Random PIN needs the PIN the device shows: pass --pin-stdin and write it to stdin, or run on a terminal",
            ));
        };
        otm::normalize_pin(&typed).map_err(|e| failure(Exit::Usage, format!("PIN: {e}")))
    }

    async fn post_plain(
        &self,
        plain: SocketAddr,
        href: &str,
        body: &ciborium::Value,
    ) -> anyhow::Result<()> {
        failpoint::before_request();
        let request = ocf_request_with_body(Code::POST, href, encode_cbor(body));
        let response = send_plain(plain, request, self.deadline(), self.output).await?;
        if !response.code.is_success() {
            return Err(failure(
                Exit::Refused,
                format!(
                    "{}: POST {href} answered {} {}",
                    self.record.di,
                    response.code,
                    response.code.name()
                ),
            ));
        }
        Ok(())
    }

    /// Puts `oxmsel` back after a handshake that failed before anything else
    /// was written (when the old value is one the device accepts again).
    async fn restore_oxmsel(&self, plain: SocketAddr, previous: Option<u64>) {
        if let Some(previous) = previous.filter(|p| self.record.oxms.contains(p)) {
            let _ = self
                .post_plain(plain, "/oic/sec/doxm", &map1("oxmsel", previous))
                .await;
        }
    }

    async fn step(&self, session: &mut SecureSession, step: &Step) -> anyhow::Result<()> {
        self.progress(&format!("{}: {}", self.record.di, step.what));
        failpoint::before_request();
        send_step(session, step, self.deadline()).await.map(|_| ())
    }

    async fn read(
        &self,
        session: &mut SecureSession,
        href: &str,
    ) -> anyhow::Result<ciborium::Value> {
        failpoint::before_request();
        let peer = session.peer();
        let response = session
            .request(ocf_get(href), self.deadline())
            .await
            .map_err(|e| {
                super::exchange::session_failure(&crate::ocf::address::format_addr(peer), "read", e)
            })?;
        if !response.code.is_success() {
            return Err(failure(
                Exit::Refused,
                format!("{}: GET {href} answered {}", self.record.di, response.code),
            ));
        }
        decode_cbor(&response.payload)
            .map_err(|e| failure(Exit::Failed, format!("{}: {href}: {e}", self.record.di)))
    }

    fn report(&self, outcome: &Outcome) {
        if self.output.json {
            self.output.json_line(&serde_json::json!({
                "di": outcome.di,
                "previous_di": outcome.previous_di,
                "name": self.record.name,
                "otm": outcome.method,
                "owner": self.owner,
                "keyring": outcome.keyring,
                "repaired": outcome.repaired,
                "state": "rfnop",
            }));
        } else if !self.output.quiet {
            let name = self.record.name.as_deref().unwrap_or("the device");
            println!(
                "{} {name}: now {} (was {}), by {}; owner key in the {} keyring",
                if outcome.repaired {
                    "Finished owning"
                } else {
                    "Owned"
                },
                outcome.di,
                outcome.previous_di,
                outcome.method,
                outcome.keyring
            );
        }
    }
}

/// How long a device takes to act on a hard reset (the reference device: 2 s).
pub const RESET_DELAY: Duration = Duration::from_secs(2);

/// Polls a device's address until it answers as unowned (after a reset it
/// has a new UUID, so it is found by address).
pub async fn wait_until_unowned(
    address: SocketAddr,
    patience: Duration,
) -> anyhow::Result<DeviceRecord> {
    let give_up = Instant::now() + patience;
    loop {
        let options = crate::net::DiscoverOptions {
            multicast: false,
            addresses: vec![address],
            timeout: Duration::from_millis(500),
            ..Default::default()
        };
        if let Ok(outcome) = crate::net::discover(&options).await {
            if let Some(record) = outcome.devices.into_iter().find(|d| d.owned == Some(false)) {
                return Ok(record);
            }
        }
        if Instant::now() >= give_up {
            return Err(failure(
                Exit::TimedOut,
                format!(
                    "{} did not come back unowned after the reset",
                    crate::ocf::address::format_addr(address)
                ),
            ));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Says what a refused handshake means for each method.
fn explain_doc_failure(method: Method, error: anyhow::Error) -> anyhow::Error {
    if exit_of(&error) != Exit::AuthFailed {
        return error;
    }
    let why = match method {
        Method::RandomPin => {
            "the device did not accept the PIN; it is still unowned: run `own` again with the PIN it shows now"
        }
        Method::ManufacturerCertificate => {
            "the device's manufacturer certificate does not verify against --mfg-ca; nothing was written to it"
        }
        Method::JustWorks => {
            "the device refused the Just Works handshake; nothing was written to it"
        }
    };
    error.context(why)
}

fn map1(key: &str, value: u64) -> ciborium::Value {
    ciborium::Value::Map(vec![(
        ciborium::Value::Text(key.into()),
        ciborium::Value::Integer(value.into()),
    )])
}
