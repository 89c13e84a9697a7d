//! The command line of `ocf-devsim`, the simulated OCF device.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use super::help;

/// Simulated OCF devices and a simulated OCF cloud, to rehearse provisioning and to test against
///
/// ocf-devsim runs simulated OCF devices on this host: they answer
/// discovery like real devices, are owned over OCF's DTLS, keep the
/// security rules of the reference implementation, and register with a
/// cloud as a real device does; and it runs a simulated OCF cloud for them.
/// So ocf-mediator (or any OCF onboarding tool) can be rehearsed and tested
/// without hardware.
#[derive(Parser, Debug)]
#[command(
    name = "ocf-devsim",
    version,
    after_long_help = help::DEVSIM_TOP_AFTER_HELP,
    propagate_version = true
)]
pub struct DevsimCli {
    #[command(subcommand)]
    pub command: DevsimCommand,
}

#[derive(Subcommand, Debug)]
pub enum DevsimCommand {
    /// Run one or more simulated, unowned OCF devices until SIGINT or SIGTERM
    ///
    /// Each device answers /oic/res (rt and if filters, eps, Block2 above
    /// 1024 bytes), /oic/d, /oic/p, /oic/sec/doxm, /oic/sec/pstat and
    /// /.well-known/core with the unsecured-access rules of a real device in
    /// RFOTM, joins the OCF multicast groups on every interface and delays
    /// multicast answers like real devices.
    ///
    /// Each device is a secure OCF device: a second UDP port serves CoAP over
    /// DTLS (listed as coaps:// in the startup line and in eps), with the
    /// security resources doxm, pstat, cred, acl2, sdi, sp and csr, the write
    /// rules, access rules and state transitions of the reference device, and
    /// ownership transfer by Just Works, Random PIN or manufacturer
    /// certificate (--otm). A Random PIN is shown on stderr as "PIN for <di>:
    /// <pin>" when the onboarding tool selects that method. A hard reset
    /// (pstat dos.s = 0) wipes the device after --reset-delay-ms: new UUID,
    /// unowned, RFOTM.
    ///
    /// Once owned, in RFNOP and given a cloud configuration
    /// (/CoapCloudConfResURI: cis, sid, apn, at, written over the owner
    /// session with an ACE for it), a device registers with its cloud as a
    /// real one does: TLS 1.2 over TCP trusting only its trustca credentials
    /// and a server certificate with CN uuid:<sid>, showing its identity
    /// certificate when it has one, no CSM, then sign-up, sign-in, resource
    /// publication, a Ping every 20 s, token refresh, reconnection with
    /// backoff, redirecturi followed; {"cis": ""} signs it off. cps and clec
    /// say how it went; failures are also printed on stderr as "<di> cloud:
    /// ...".
    #[command(after_long_help = help::DEVSIM_DEVICE_EXAMPLES)]
    Device(DeviceArgs),
    /// Run a simulated OCF cloud (CoAP gateway and hub configuration) until SIGINT or SIGTERM
    ///
    /// A CoAP gateway (CoAP over TCP with TLS 1.2, coaps+tcp) serves what an
    /// OCF device uses to register: /oic/sec/account (sign-up, and sign-off
    /// with DELETE), /oic/sec/session (sign-in, sign-out),
    /// /oic/sec/tokenrefresh and /oic/rd (resource publication), with the
    /// property names and required sets of ISO/IEC 30118-12 as plgd's hub
    /// serves them: wrong or missing properties answer 4.00; a bad or expired
    /// token, an unknown authprovider, a device id that is not its
    /// certificate's, a reused one-time code or a refresh token used twice
    /// answer 4.01. Devices get the cloud's own access and refresh tokens
    /// (rotated at every refresh, expiring after --expires-in).
    ///
    /// The cloud makes its CA and a server certificate with CN uuid:<sid> at
    /// start (kept with --state-dir), and serves
    /// /.well-known/hub-configuration over HTTP, as a plgd hub does, so that
    /// `ocf-mediator login --hub URL` works against it, and POST
    /// /api/v1/sign/identity-csr to sign devices' identity certificates.
    ///
    /// With --issuer, a device's sign-up token must be a JWT access token of
    /// that OAuth server (signature, issuer, audience, expiry checked) or a
    /// one-time authorization code, exchanged once at its token endpoint
    /// with --client-id and the secret from --client-secret-file or
    /// --client-secret-stdin. Without --issuer, any token or code is accepted
    /// once.
    ///
    /// The first stdout line says where it is: sid, cis,
    /// hub_configuration_url, ca_file. With --json it and the events that
    /// follow (signup, signin, signout, publish, unpublish, refresh, signoff,
    /// refused with code and reason) are one JSON object per line.
    #[command(after_long_help = help::DEVSIM_CLOUD_EXAMPLES)]
    Cloud(CloudArgs),
    /// Run a whole rehearsal on loopback: an OAuth server, a cloud and unowned devices
    ///
    /// One process runs an OAuth 2.0 / OpenID Connect server of the
    /// simulator's own (a person who approves everything at once: client
    /// credentials for the m2m client and its secret made at start, device
    /// codes, authorization codes with PKCE for the web client, JWT access
    /// tokens signed with a key it makes), a simulated cloud that trusts it
    /// (ocf-devsim cloud --issuer), and --devices unowned simulated devices,
    /// all on 127.0.0.1. It prints the hub URL and what to type next, and
    /// runs until SIGINT or SIGTERM.
    ///
    /// The devices are found without multicast: the lab writes them, by
    /// address, one JSON line each, to devices.jsonl in its directory, for
    /// `ocf-mediator provision --batch`. The hub tells mediators to give
    /// devices access tokens (deviceOauthClient.grantType
    /// clientCredentials), so nobody is asked anything per device.
    ///
    /// With --run, the lab runs a shell command (sh -c) once everything is
    /// up, with this environment: OCF_LAB_HUB (the hub URL), OCF_LAB_DEVICES
    /// (the batch file), OCF_LAB_ISSUER, OCF_LAB_CA_FILE, the m2m client's
    /// secret in OCF_MEDIATOR_CLIENT_SECRET, OCF_MEDIATOR_STATE_DIR in the
    /// lab's directory, OCF_MEDIATOR_VOLATILE_KEYRING=1, and the lab's own
    /// directory first on PATH (so ocf-mediator is the one built with it).
    /// On Linux the command gets a kernel session keyring of its own (which
    /// the kernel drops when the rehearsal ends) for the rehearsal's secrets:
    /// owner keys, tokens, the client secret. When the command ends,
    /// everything stops and the lab exits with the command's status.
    ///
    /// The first stdout line says where everything is; with --json it is one
    /// JSON object (hub_configuration_url, cis, sid, ca_file, m2m_client_id,
    /// m2m_client_secret, devices with di, name and endpoints, hub, issuer,
    /// web_client_id, devices_file), followed by the cloud's events as
    /// ocf-devsim cloud --json prints them.
    #[command(after_long_help = help::DEVSIM_LAB_EXAMPLES)]
    Lab(LabArgs),
}

#[derive(Args, Debug)]
pub struct DeviceArgs {
    /// Address and port of the (first) device; port 0 picks a free port.
    /// Default: every address, IPv6 and IPv4, on a free port.
    #[arg(long, value_name = "ADDR:PORT", env = "OCF_DEVSIM_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Number of devices to run, each with its own UUID and port.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub count: u16,
    /// Device name (/oic/d n); with --count, numbered.
    #[arg(long, value_name = "NAME", default_value = "ocf-devsim")]
    pub name: String,
    /// Keep each device's state in this directory across restarts.
    #[arg(long, value_name = "DIR", env = "OCF_DEVSIM_STATE_DIR", value_hint = clap::ValueHint::DirPath)]
    pub state_dir: Option<PathBuf>,
    /// Delay multicast answers by a random time up to this many milliseconds (at most 60000).
    #[arg(long, value_name = "MAX", default_value_t = 2000,
          value_parser = clap::value_parser!(u64).range(0..=60_000))]
    pub multicast_delay_ms: u64,
    /// Do not join the OCF multicast groups.
    #[arg(long)]
    pub no_multicast: bool,
    /// Print one JSON line per device on startup: di, name, endpoints.
    #[arg(long)]
    pub json: bool,
    /// Ownership transfer methods offered (doxm oxms), in this order.
    #[arg(
        long,
        value_name = "METHODS",
        value_delimiter = ',',
        default_value = "jw"
    )]
    pub otm: Vec<Otm>,
    /// The Random PIN (8 digits). Default: a new random PIN each time the
    /// method is selected, shown on stderr as a real device displays it.
    #[arg(long, value_name = "PIN", value_parser = parse_pin)]
    pub pin: Option<String>,
    /// Manufacturer certificate chain, PEM, leaf first (for --otm mfg).
    #[arg(long, value_name = "FILE", value_hint = clap::ValueHint::FilePath, requires = "mfg_key")]
    pub mfg_cert: Option<PathBuf>,
    /// The manufacturer certificate's private key, PKCS#8 PEM (P-256).
    #[arg(long, value_name = "FILE", value_hint = clap::ValueHint::FilePath, requires = "mfg_cert")]
    pub mfg_key: Option<PathBuf>,
    /// How long after a hard reset request the device wipes itself, in
    /// milliseconds (at most 3600000, an hour).
    #[arg(long, value_name = "MS", default_value_t = 2000,
          value_parser = clap::value_parser!(u64).range(0..=3_600_000))]
    pub reset_delay_ms: u64,
    /// Close DTLS sessions that are silent this many milliseconds (1 to
    /// 86400000, a day). A device ownership session that ends before the
    /// device leaves RFOTM is undone.
    #[arg(long, value_name = "MS", default_value_t = 60_000,
          value_parser = clap::value_parser!(u64).range(1..=86_400_000))]
    pub session_idle_ms: u64,
    /// List no eps to peers on loopback, exactly as the reference device
    /// (for the tests that compare with its captures).
    #[arg(long, hide = true)]
    pub reference_loopback_eps: bool,
    /// Serve a faulty CSR (another subject, a P-384 key, or a bad
    /// signature), as broken firmware would: for the tests of the
    /// mediator's checks.
    #[arg(long, hide = true, value_enum, value_name = "FAULT")]
    pub csr_fault: Option<CsrFaultArg>,
    /// Misbehave on purpose, as a broken or hostile device would, to
    /// rehearse how an onboarding tool copes. Off by default: without it the
    /// device is as strict as a real one.
    #[arg(
        long,
        value_name = "MODE",
        help_heading = "Misbehaviour (for rehearsals)"
    )]
    pub misbehave: Option<Misbehave>,
    /// The UUID a device taken with --misbehave uuid-change takes instead of
    /// the one it is given (e.g. one the onboarding tool already owns).
    /// Default: a new random one.
    #[arg(
        long,
        value_name = "UUID",
        help_heading = "Misbehaviour (for rehearsals)"
    )]
    pub misbehave_uuid: Option<uuid::Uuid>,
}

/// A faulty CSR (`--csr-fault`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CsrFaultArg {
    Subject,
    P384,
    Signature,
}

/// How a simulated device misbehaves (`--misbehave`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Misbehave {
    /// /oic/res answered block-wise with "more blocks follow", forever.
    EndlessBlock2,
    /// /oic/res announced as 4 GiB (Size2), then sent block after block.
    GiantBlock2,
    /// Every POST answered 2.31 Continue, asking for more of a body that has no more.
    EndlessBlock1,
    /// doxm answered with CBOR arrays nested 10,000 deep.
    DeepCbor,
    /// doxm answered with a 1 MiB text string in it.
    HugeString,
    /// doxm answered with owned "yes" and oxms "0".
    DoxmWrongTypes,
    /// pstat answered with dos 3.
    PstatWrongTypes,
    /// cred answered with creds 7.
    CredWrongTypes,
    /// The cloud configuration answered with cis 42 and cps true.
    CloudConfWrongTypes,
    /// Each answer preceded by answers with other tokens and message ids.
    StrayTokens,
    /// Every answer sent with another token and another message id.
    WrongTokens,
    /// A DTLS Finished that does not verify.
    BadFinished,
    /// A DTLS ServerHello choosing a cipher suite the client did not offer.
    UnofferedSuite,
    /// Marks itself owned and leaves RFOTM once its owner is set, before any owner credential.
    OwnedMidSequence,
    /// Never answers a read of its doxm, as if every answer were lost; answers all else.
    SilentDoxm,
    /// Takes --misbehave-uuid instead of the UUID the ownership transfer gives it.
    UuidChange,
}

impl Misbehave {
    /// The simulator's mode; `uuid` for uuid-change.
    pub fn mode(self, uuid: Option<uuid::Uuid>) -> crate::sim::misbehave::Misbehaviour {
        use crate::sim::misbehave::Misbehaviour as M;
        match self {
            Misbehave::EndlessBlock2 => M::EndlessBlock2,
            Misbehave::GiantBlock2 => M::GiantBlock2,
            Misbehave::EndlessBlock1 => M::EndlessBlock1,
            Misbehave::DeepCbor => M::DeepCbor,
            Misbehave::HugeString => M::HugeString,
            Misbehave::DoxmWrongTypes => M::DoxmWrongTypes,
            Misbehave::PstatWrongTypes => M::PstatWrongTypes,
            Misbehave::CredWrongTypes => M::CredWrongTypes,
            Misbehave::CloudConfWrongTypes => M::CloudConfWrongTypes,
            Misbehave::StrayTokens => M::StrayTokens,
            Misbehave::WrongTokens => M::WrongTokens,
            Misbehave::BadFinished => M::BadFinished,
            Misbehave::UnofferedSuite => M::UnofferedSuite,
            Misbehave::OwnedMidSequence => M::OwnedMidSequence,
            Misbehave::SilentDoxm => M::SilentDoxm,
            Misbehave::UuidChange => M::UuidChange(uuid.unwrap_or_else(uuid::Uuid::new_v4)),
        }
    }
}

/// An ownership transfer method.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Otm {
    /// Just Works (oxm 0): anonymous DTLS.
    Jw,
    /// Random PIN (oxm 1): a PSK from the PIN the device shows.
    Rdp,
    /// Manufacturer certificate (oxm 2): needs --mfg-cert and --mfg-key.
    Mfg,
}

impl Otm {
    /// The doxm `oxms` value.
    pub fn oxm(self) -> u64 {
        match self {
            Otm::Jw => 0,
            Otm::Rdp => 1,
            Otm::Mfg => 2,
        }
    }
}

fn parse_pin(text: &str) -> Result<String, String> {
    if text.len() == 8 && text.bytes().all(|b| b.is_ascii_digit()) {
        Ok(text.to_owned())
    } else {
        Err("a PIN is 8 digits".into())
    }
}

#[derive(Args, Debug)]
pub struct CloudArgs {
    /// The CoAP gateway's address (the devices' cis); port 0 picks a free port.
    #[arg(
        long,
        value_name = "ADDR:PORT",
        default_value = "127.0.0.1:5684",
        env = "OCF_DEVSIM_CLOUD_LISTEN"
    )]
    pub listen: SocketAddr,
    /// The HTTP address of the hub configuration and the CA; port 0 picks a free port.
    #[arg(
        long,
        value_name = "ADDR:PORT",
        default_value = "127.0.0.1:0",
        env = "OCF_DEVSIM_CLOUD_HTTP_LISTEN"
    )]
    pub http_listen: SocketAddr,
    /// Plain CoAP over TCP (coap+tcp), without TLS.
    #[arg(long)]
    pub no_tls: bool,
    /// The cloud's UUID (sid, and CN uuid:<sid> of its certificate). Default: a new one.
    #[arg(long, value_name = "UUID")]
    pub sid: Option<uuid::Uuid>,
    /// Keep the sid, the CA and the token key here across restarts; a second
    /// instance started on the same directory accepts the first's tokens.
    #[arg(long, value_name = "DIR", env = "OCF_DEVSIM_CLOUD_STATE_DIR")]
    pub state_dir: Option<PathBuf>,
    /// Refuse devices without a certificate from this cloud's CA; the device
    /// id of each is then bound to its certificate's uuid:<di>.
    #[arg(long)]
    pub require_client_cert: bool,
    /// Ask devices for a certificate from this cloud's CA, check and bind
    /// one that is shown (as --require-client-cert does), and let devices
    /// without one register too (a plgd hub with clientCertificateRequired
    /// false).
    #[arg(long, conflicts_with = "require_client_cert")]
    pub optional_client_cert: bool,
    /// Send a CSM (7.01) first on every connection (real devices do not
    /// expect one).
    #[arg(long)]
    pub csm: bool,
    /// Accepted authprovider names (the first one is the hub's providerName).
    #[arg(long = "authprovider", value_name = "NAME", default_value = "plgd")]
    pub authproviders: Vec<String>,
    /// Lifetime of the access tokens given to devices, in seconds (-1: permanent).
    #[arg(long, value_name = "SECONDS", default_value_t = 3600, allow_negative_numbers = true, value_parser = clap::value_parser!(i64).range(-1..))]
    pub expires_in: i64,
    /// Send devices there after sign-up (redirecturi), e.g. to a second instance.
    #[arg(long, value_name = "URI")]
    pub redirect_to: Option<String>,
    /// The OAuth server (OIDC issuer) whose tokens and codes devices sign up with.
    #[arg(long, value_name = "URL", env = "OCF_DEVSIM_CLOUD_ISSUER")]
    pub issuer: Option<String>,
    /// The audience its access tokens must name.
    #[arg(long, value_name = "AUDIENCE", requires = "issuer")]
    pub audience: Option<String>,
    /// The claim that names a token's owner (the devices' uid).
    #[arg(long, value_name = "CLAIM", default_value = "sub")]
    pub owner_claim: String,
    /// The OAuth client that exchanges devices' one-time codes.
    #[arg(long, value_name = "ID", requires = "issuer")]
    pub client_id: Option<String>,
    /// Read that client's secret from this file.
    #[arg(
        long,
        value_name = "FILE",
        requires = "client_id",
        conflicts_with = "client_secret_stdin"
    )]
    pub client_secret_file: Option<PathBuf>,
    /// Read that client's secret from stdin.
    #[arg(long, requires = "client_id")]
    pub client_secret_stdin: bool,
    /// The redirect URI the codes were issued for (sent with each exchange).
    #[arg(long, value_name = "URL", requires = "client_id")]
    pub code_redirect_uri: Option<String>,
    /// The device OAuth client named in the hub configuration.
    #[arg(long, value_name = "ID", default_value = "device")]
    pub device_client_id: String,
    /// The machine-to-machine OAuth client named in the hub configuration.
    #[arg(long, value_name = "ID", default_value = "m2m")]
    pub m2m_client_id: String,
    /// The OAuth client people log in with, named in the hub configuration.
    #[arg(long, value_name = "ID", default_value = "web")]
    pub web_client_id: String,
    /// One JSON object per line on stdout: the startup line, then events.
    #[arg(long)]
    pub json: bool,
    /// Misbehave on purpose: serve a certificate with this CN instead of
    /// uuid:<sid>, as a wrong or impostor cloud would; devices refuse it.
    #[arg(
        long,
        value_name = "CN",
        help_heading = "Misbehaviour (for rehearsals)"
    )]
    pub misbehave_cn: Option<String>,
    /// Misbehave on purpose: answer every device's sign-up this way.
    #[arg(
        long,
        value_name = "MODE",
        help_heading = "Misbehaviour (for rehearsals)"
    )]
    pub misbehave_signup: Option<MisbehaveSignUp>,
}

/// How a simulated cloud answers sign-ups (`--misbehave-signup`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum MisbehaveSignUp {
    /// 2.04 with bytes that are not CBOR.
    GarbageCbor,
    /// 2.04 with accesstoken 42, refreshtoken 42, uid 42 and expiresin "soon".
    WrongTypes,
    /// 2.04 without expiresin.
    NoExpiresin,
    /// 4.00 Bad Request.
    BadRequest,
    /// 5.03 Service Unavailable.
    Unavailable,
    /// 2.04 with a 4 MiB body.
    Oversized,
    /// No answer at all.
    Silent,
}

impl MisbehaveSignUp {
    /// The simulator's mode.
    pub fn mode(self) -> crate::sim::cloud::misbehave::SignUpMisbehaviour {
        use crate::sim::cloud::misbehave::SignUpMisbehaviour as M;
        match self {
            Self::GarbageCbor => M::GarbageCbor,
            Self::WrongTypes => M::WrongTypes,
            Self::NoExpiresin => M::NoExpiresIn,
            Self::BadRequest => M::BadRequest,
            Self::Unavailable => M::Unavailable,
            Self::Oversized => M::Oversized,
            Self::Silent => M::Silent,
        }
    }
}

#[derive(Args, Debug)]
pub struct LabArgs {
    /// Number of simulated devices.
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub devices: u16,
    /// The devices' name (/oic/d n), numbered.
    #[arg(long, value_name = "NAME", default_value = "lab device")]
    pub name: String,
    /// Ownership transfer methods the devices offer (doxm oxms), in this order.
    #[arg(
        long,
        value_name = "METHODS",
        value_delimiter = ',',
        default_value = "jw"
    )]
    pub otm: Vec<Otm>,
    /// The devices' Random PIN (8 digits). Default: a new random PIN each
    /// time the method is selected, shown on stderr.
    #[arg(long, value_name = "PIN", value_parser = parse_pin)]
    pub pin: Option<String>,
    /// Lifetime of the cloud's access tokens for devices, in seconds (-1: permanent).
    #[arg(long, value_name = "SECONDS", default_value_t = 3600, allow_negative_numbers = true, value_parser = clap::value_parser!(i64).range(-1..))]
    pub expires_in: i64,
    /// Let devices without an identity certificate register too (to
    /// rehearse provision --identity-cert none to the end): the cloud
    /// still asks for one, and checks and binds one that is shown.
    #[arg(long)]
    pub optional_client_cert: bool,
    /// Run this shell command in the lab's environment, then stop; exit
    /// with its status.
    #[arg(long, value_name = "COMMAND", value_hint = clap::ValueHint::CommandString)]
    pub run: Option<String>,
    /// Keep the lab's files (devices.jsonl, the mediator's state for --run)
    /// in this directory. Default: a scratch directory removed at the end.
    #[arg(long, value_name = "DIR", env = "OCF_DEVSIM_LAB_DIR", value_hint = clap::ValueHint::DirPath)]
    pub dir: Option<PathBuf>,
    /// One JSON object per line on stdout: the startup line, then the cloud's events.
    #[arg(long)]
    pub json: bool,
}
