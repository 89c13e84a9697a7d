//! The command line, defined once: parsing, `--help`, man pages and shell
//! completions all come from these types.

use std::path::PathBuf;
use std::time::Duration;

use clap::builder::BoolishValueParser;
use clap::{ArgAction, Args, Parser, Subcommand};
use clap_complete::engine::{ArgValueCandidates, ArgValueCompleter};

use super::complete;
use super::help;

/// Discover, onboard and cloud-provision OCF devices
///
/// ocf-mediator finds OCF devices on the local network, takes ownership of
/// them over OCF's DTLS, reads and updates their resources, and gives them
/// what they need to join an OCF cloud.
///
/// DEVICE arguments accept an address (127.0.0.1:5683, [::1]:5683,
/// [fe80::1%eth0]:5683, coap://host:port, coaps://host:port), a device UUID
/// or a unique device name; UUIDs and names are looked up in the state
/// (devices this mediator owns) and by multicast discovery.
#[derive(Parser, Debug)]
#[command(
    name = "ocf-mediator",
    version,
    after_long_help = help::TOP_AFTER_HELP,
    propagate_version = true,
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command takes; each also reads an environment variable.
/// Listed under their own heading, after each command's own options.
#[derive(Args, Debug, Clone)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Print one JSON object per line on stdout instead of text for people.
    #[arg(long, global = true, env = "OCF_MEDIATOR_JSON", value_parser = BoolishValueParser::new())]
    pub json: bool,
    /// Never prompt; implied when stdin is not a terminal.
    #[arg(long, global = true, env = "OCF_MEDIATOR_NO_INPUT", value_parser = BoolishValueParser::new())]
    pub no_input: bool,
    /// More detail on stderr (repeat for more).
    #[arg(short, long, global = true, action = ArgAction::Count, env = "OCF_MEDIATOR_VERBOSE")]
    pub verbose: u8,
    /// Only errors on stderr.
    #[arg(
        short,
        long,
        global = true,
        env = "OCF_MEDIATOR_QUIET",
        conflicts_with = "verbose"
    )]
    pub quiet: bool,
    /// How long to wait for one device before giving up (e.g. 10s, 500ms; at most 1h).
    #[arg(long, global = true, env = "OCF_MEDIATOR_TIMEOUT", value_name = "DURATION",
          default_value = "10s", value_parser = parse_duration,
          add = ArgValueCandidates::new(complete::durations))]
    pub timeout: Duration,
    /// Where the mediator keeps its state (owned devices, cloud profiles, its own UUID).
    /// Default: $XDG_DATA_HOME/ocf-mediator (~/.local/share/ocf-mediator). Owner keys are kept
    /// there only sealed, under a key that only the keyring holds.
    #[arg(
        long,
        global = true,
        env = "OCF_MEDIATOR_STATE_DIR",
        value_name = "DIR",
        value_hint = clap::ValueHint::DirPath
    )]
    pub state_dir: Option<PathBuf>,
    /// Keep new secrets in the Linux kernel keyring instead of the Secret Service: in the
    /// process's session keyring, or the user keyring when it has no session keyring of its
    /// own (never the persistent keyring). Works headless, but the keys are lost on reboot
    /// (or when the session ends), and with them the devices they own: see `keys export`.
    #[arg(long, global = true, env = "OCF_MEDIATOR_VOLATILE_KEYRING", value_parser = BoolishValueParser::new())]
    pub volatile_keyring: bool,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Find OCF devices by multicast, or ask given addresses
    ///
    /// Without --address, sends GET /oic/res to 224.0.1.187 and ff02::158
    /// (and ff03::158, ff05::158) on port 5683 on every interface and listens
    /// for --wait; real devices delay their answers by up to 2 s. With
    /// --address, asks only those devices and returns as soon as each has
    /// answered.
    ///
    /// For each device: di, name (/oic/d n), whether it is owned and the
    /// ownership transfer methods it offers (/oic/sec/doxm), its endpoints,
    /// and the href of its cloud configuration resource.
    #[command(after_long_help = help::DISCOVER_EXAMPLES)]
    Discover(DiscoverArgs),
    /// Read a resource of a device and print its representation
    ///
    /// Prints CBOR as JSON (byte strings as base64) and text as text. The
    /// request carries OCF's Accept options (content format 10000, version
    /// 1.0.0); a generic CoAP server that rejects them (4.02 Bad Option,
    /// 4.06 Not Acceptable) is asked again without them. A device this
    /// mediator owns is asked over an owner session; coaps:// addresses take
    /// the DTLS credentials below.
    #[command(after_long_help = help::GET_EXAMPLES)]
    Get(GetArgs),
    /// Update a resource of a device: POST a JSON body as OCF CBOR
    ///
    /// The body is sent as OCF CBOR (content format 10000, version 1.0.0)
    /// and the device's answer printed like `get` does. Bodies larger than
    /// 1024 bytes go block-wise (Block1).
    #[command(after_long_help = help::UPDATE_EXAMPLES)]
    Update(UpdateArgs),
    /// Log in to a cloud's OAuth server and save a cloud profile
    ///
    /// With --hub, everything comes from the plgd hub's
    /// /.well-known/hub-configuration (hub id as sid, coapGateway as cis,
    /// certificateAuthorities as the trust anchor, the authority and its
    /// OAuth clients) and the authority's OpenID discovery document. Without
    /// a hub, name the OAuth server with --issuer and --client-id, and the
    /// cloud with --cis, --sid, --apn and --ca. A second login to an
    /// existing profile reuses its settings.
    ///
    /// Flows: --device-code (RFC 8628; the default without a browser),
    /// --browser (authorization code with PKCE and a redirect to 127.0.0.1;
    /// the default where a browser can be opened), --client-credentials
    /// (factory lines; the secret from --client-secret-stdin, the
    /// OCF_MEDIATOR_CLIENT_SECRET environment variable, or the keyring where
    /// a previous login stored it). With --json every prompt is a JSON line
    /// on stdout.
    ///
    /// The refresh token, the client secret and the cached access token go
    /// to the keyring only.
    #[command(after_long_help = help::LOGIN_EXAMPLES)]
    Login(LoginArgs),
    /// Revoke a cloud profile's tokens and delete the profile and its secrets
    ///
    /// The tokens are revoked where the OAuth server offers revocation (RFC
    /// 7009); the profile leaves the state, its secrets the keyring.
    #[command(after_long_help = help::LOGOUT_EXAMPLES)]
    Logout(ProfileArgs),
    /// List the cloud profiles
    ///
    /// For each profile: the OAuth server, the client, the flow, what the
    /// device token is, the cloud's id and whether the keyring holds what the
    /// profile needs to get tokens. No secret is shown.
    #[command(after_long_help = help::PROFILES_EXAMPLES)]
    Profiles,
    /// Print what a device needs as its cloud access token (`at`) on stdout
    ///
    /// For clouds that take an access token, prints the profile's access
    /// token (for the cloud's audience, carrying the user's or factory
    /// client's identity), refreshed first when it is about to expire; a
    /// cached token that is still valid needs no network. For plgd hubs whose
    /// device OAuth client uses authorization codes (plgd's default), prints
    /// a one-time code from an authorization request for the device client
    /// with --device's id, as plgd's UI does: captured from the redirect when
    /// the hub's redirect URI is a loopback address, pasted by the person at
    /// the terminal otherwise. The token goes to stdout and nowhere else.
    #[command(after_long_help = help::TOKEN_EXAMPLES)]
    Token(TokenArgs),
    /// Take ownership of a new device (Just Works, Random PIN or manufacturer certificate)
    ///
    /// The mediator selects the method, opens the DTLS session it uses (Just
    /// Works: anonymous ECDH; Random PIN: ECDHE-PSK keyed by the PIN the
    /// device shows; manufacturer certificate: ECDHE-ECDSA with the device's
    /// chain checked against --mfg-ca), derives the owner key from that
    /// session, stores it in the OS keyring, and only then makes itself the
    /// device's owner: owner and resource owners, a new device UUID, the
    /// owner credential, RFPRO, an ACL that gives this mediator the device
    /// configuration resources it needs (including cloud configuration), and
    /// RFNOP.
    ///
    /// If anything fails half-way, the device is reset to RFOTM when the
    /// session still allows it; otherwise the key stays stored and running
    /// `own` again finishes or repairs the ownership.
    #[command(after_long_help = help::OWN_EXAMPLES)]
    Own(OwnArgs),
    /// Hard-reset a device this mediator owns and forget its owner key
    ///
    /// POSTs pstat RESET over the owner session, waits until the device is
    /// back unowned in RFOTM (it takes a new UUID), then removes its owner
    /// key from the keyring and its entry from the state.
    #[command(after_long_help = help::DISOWN_EXAMPLES)]
    Disown(DisownArgs),
    /// List the devices this mediator owns, and whether each owner key is in the keyring
    ///
    /// A device whose key is missing can no longer be managed, only reset at
    /// the device; an entry marked incomplete is finished by running `own`
    /// again.
    #[command(after_long_help = help::DEVICES_EXAMPLES)]
    Devices,
    /// Point a device this mediator owns at a cloud, read its registration status, or make it leave
    ///
    /// `configure` writes, under RFPRO over the owner session, the cloud's
    /// trust anchor (credusage oic.sec.cred.trustca, subject = sid) and its
    /// access control entry (subject = sid, with the device configuration
    /// resources a real device needs by name), each only when the device
    /// lacks it, then `{cis, sid, apn, at}` to its oic.r.coapcloudconf
    /// resource (found by resource type), and returns it to RFNOP. `status`
    /// reads cps and clec with what they mean; `deregister` makes the device
    /// leave its cloud.
    #[command(subcommand, after_long_help = help::CLOUD_EXAMPLES)]
    Cloud(CloudCommand),
    /// Take devices from the network to their cloud: own, configure, register
    ///
    /// For each device: find it (the store first, then the network), take
    /// ownership of it unless this mediator owns it already, with the cloud's
    /// trust anchor, ACE and configuration written inside the same ownership
    /// session (or over an owner session for a device already owned), then
    /// wait until it has registered with the cloud (--wait registered, the
    /// default) or stop once it is configured (--wait configured).
    ///
    /// Devices come from the command line, --batch FILE (JSON lines or CSV,
    /// one device per line, with optional otm, pin_file or pin_env, and
    /// profile), --all-unowned, or on a terminal a picker of the unowned
    /// devices found. Up to --jobs devices run at once; one device's failure
    /// never stops the others. With --json each device's record is a line:
    /// di, name, the steps with their times, the CoAP code and error of a
    /// failed step, and the final cps. Interrupted, a second run with the
    /// same arguments finishes what was left and changes nothing else.
    #[command(after_long_help = help::PROVISION_EXAMPLES)]
    Provision(ProvisionArgs),
    /// Give devices identity certificates, renew them, or print the local CA
    ///
    /// `issue` reads the device's certificate signing request (/oic/sec/csr)
    /// over the owner session, checks it (a P-256 key, the subject
    /// uuid:<device id>, a signature that verifies) before anything is
    /// signed, has it signed by the hub's certificate authority (with the
    /// profile's token) or by the mediator's own CA, checks what came back,
    /// and writes it to the device under RFPRO (credusage oic.sec.cred.cert)
    /// with the issuing CA as a trust anchor for this mediator (credusage
    /// oic.sec.cred.trustca), replacing one it had from us. `renew` does the
    /// same with the signer of the certificate on record. `ca` prints the
    /// local CA's certificate, made on first use; its private key is kept
    /// only sealed under the key the keyring holds.
    #[command(subcommand, after_long_help = help::CERT_EXAMPLES)]
    Cert(CertCommand),
    /// Export owner keys to a passphrase-sealed file, or import them (to replace a station)
    ///
    /// The owner keys of all (or the named) devices with their records,
    /// sealed with a passphrase (scrypt and AES-256-GCM), so that a station
    /// can be replaced without losing its devices. The passphrase is read
    /// from a hidden prompt or stdin (--passphrase-stdin), never from the
    /// command line.
    #[command(subcommand, after_long_help = help::KEYS_EXAMPLES)]
    Keys(KeysCommand),
    /// Print a shell completion script
    ///
    /// The script asks ocf-mediator for completions as you type (through the
    /// COMPLETE environment variable), so it completes live values too: the
    /// UUIDs and names of owned devices and of devices that answer a short
    /// multicast look (not when OCF_MEDIATOR_NO_NETWORK_COMPLETION is set),
    /// profile names, methods and durations. `COMPLETE=<SHELL> ocf-mediator`
    /// prints the same script.
    #[command(after_long_help = help::COMPLETIONS_EXAMPLES)]
    Completions(CompletionsArgs),
}

#[derive(Args, Debug)]
#[command(
    group(clap::ArgGroup::new("flow").args(["device_code", "browser", "client_credentials"])),
)]
pub struct LoginArgs {
    #[command(flatten)]
    pub profile: ProfileArgs,
    /// The plgd hub (its base URL, or the hub-configuration URL itself).
    #[arg(long, value_name = "URL", conflicts_with_all = ["issuer", "cis", "sid", "apn"])]
    pub hub: Option<String>,
    /// The OAuth 2.0 / OpenID Connect issuer (without a hub).
    #[arg(long, value_name = "URL", requires = "client_id")]
    pub issuer: Option<String>,
    /// The OAuth client to log in with (with --hub: instead of the hub's web or m2m client).
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,
    /// The audience (API) the access tokens are for; sent as `audience` and, when a URI, as `resource`.
    #[arg(long, value_name = "AUD")]
    pub audience: Option<String>,
    /// A scope to ask for; repeatable [default: the hub client's scopes, or openid offline_access].
    #[arg(long = "scope", value_name = "SCOPE")]
    pub scopes: Vec<String>,
    /// Device code flow (RFC 8628): a code to enter on another device's browser.
    #[arg(long)]
    pub device_code: bool,
    /// Authorization code flow with PKCE and a loopback redirect (RFC 8252).
    #[arg(long)]
    pub browser: bool,
    /// Client credentials flow (no person; for factory lines).
    #[arg(long)]
    pub client_credentials: bool,
    /// Read the client secret from stdin (with --client-credentials).
    #[arg(long, requires = "client_credentials")]
    pub client_secret_stdin: bool,
    /// The cloud's CoAP gateway for devices (coapcloudconf cis), e.g. coaps+tcp://cloud.example:5684.
    #[arg(long, value_name = "URI")]
    pub cis: Option<String>,
    /// The cloud's id (coapcloudconf sid), a UUID.
    #[arg(long, value_name = "UUID")]
    pub sid: Option<uuid::Uuid>,
    /// The cloud's authorization provider name (coapcloudconf apn).
    #[arg(long, value_name = "NAME")]
    pub apn: Option<String>,
    /// A CA certificate (PEM) trusted for HTTPS to the hub and OAuth server; without a hub, also the cloud's trust anchor for devices.
    #[arg(long, value_name = "FILE", value_hint = clap::ValueHint::FilePath)]
    pub ca: Option<PathBuf>,
    /// The redirect URI of the hub's device OAuth client (the coap-gateway's redirect URL) [default: from the hub, else <hub>/devices as plgd's UI].
    #[arg(long, value_name = "URI")]
    pub device_redirect_uri: Option<String>,
}

#[derive(Args, Debug)]
pub struct ProfileArgs {
    /// The cloud profile.
    #[arg(
        long,
        value_name = "NAME",
        default_value = "default",
        env = "OCF_MEDIATOR_PROFILE",
        add = ArgValueCandidates::new(complete::profiles)
    )]
    pub profile: String,
}

#[derive(Args, Debug)]
pub struct TokenArgs {
    #[command(flatten)]
    pub profile: ProfileArgs,
    /// The device the token or code is for (its di); needed for authorization-code hubs.
    #[arg(long, value_name = "DI", add = ArgValueCandidates::new(complete::owned_uuids))]
    pub device: Option<uuid::Uuid>,
}

#[derive(Args, Debug)]
pub struct DiscoverArgs {
    /// Ask this device directly (HOST[:PORT], coap://HOST:PORT); repeatable.
    #[arg(long = "address", short = 'a', value_name = "HOST[:PORT]",
          add = ArgValueCandidates::new(complete::owned_addresses))]
    pub addresses: Vec<String>,
    /// Only devices that are owned.
    #[arg(long, conflicts_with = "unowned")]
    pub owned: bool,
    /// Only devices that are not owned yet.
    #[arg(long)]
    pub unowned: bool,
    /// How long each multicast round listens (at most 1h).
    #[arg(long, value_name = "DURATION", default_value = "3s", value_parser = parse_duration,
          add = ArgValueCandidates::new(complete::durations))]
    pub wait: Duration,
    /// Multicast rounds; answers accumulate over rounds.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub rounds: u32,
}

#[derive(Args, Debug)]
pub struct GetArgs {
    /// The device: address, coap:// or coaps:// URI, device UUID or device name.
    #[arg(value_name = "DEVICE", add = ArgValueCompleter::new(complete::devices))]
    pub device: String,
    /// The resource path, with an optional query (e.g. /oic/d, /oic/res?rt=oic.r.doxm).
    #[arg(value_name = "HREF")]
    pub href: String,
    #[command(flatten)]
    pub dtls: DtlsArgs,
}

#[derive(Args, Debug)]
pub struct UpdateArgs {
    /// The device: address, coap:// or coaps:// URI, device UUID or device name.
    #[arg(value_name = "DEVICE", add = ArgValueCompleter::new(complete::devices))]
    pub device: String,
    /// The resource path, with an optional query.
    #[arg(value_name = "HREF")]
    pub href: String,
    /// The body as JSON; @FILE reads it from a file, - from stdin.
    #[arg(long, short = 'd', value_name = "JSON|@FILE|-")]
    pub data: String,
    #[command(flatten)]
    pub dtls: DtlsArgs,
}

/// Credentials for `coaps://` devices. Keys never come from the command line.
#[derive(Args, Debug, Clone, Default)]
#[command(next_help_heading = "DTLS (coaps://)")]
pub struct DtlsArgs {
    /// PSK identity: UTF-8 text, or uuid:<UUID> for the UUID's 16 raw bytes (as OCF devices expect).
    #[arg(long, value_name = "ID", requires = "psk_stdin")]
    pub psk_identity: Option<String>,
    /// Read the pre-shared key from stdin, as hex.
    #[arg(long, requires = "psk_identity")]
    pub psk_stdin: bool,
    /// Our certificate chain (PEM), for mutual authentication with certificate suites.
    #[arg(
        long,
        value_name = "FILE", value_hint = clap::ValueHint::FilePath,
        requires = "key",
        conflicts_with = "psk_identity"
    )]
    pub cert: Option<PathBuf>,
    /// The private key (PEM, PKCS#8 or SEC1, P-256) of --cert.
    #[arg(long, value_name = "FILE", value_hint = clap::ValueHint::FilePath, requires = "cert")]
    pub key: Option<PathBuf>,
    /// Trust anchors (PEM) that the device's certificate chain must verify against; repeatable.
    #[arg(long = "ca", value_name = "FILE", value_hint = clap::ValueHint::FilePath, conflicts_with = "psk_identity")]
    pub ca: Vec<PathBuf>,
    /// For a device this mediator owns: an owner session authenticated by identity certificates (ECDHE-ECDSA, 0xC0AE/0xC0AC) instead of the owner key; the device needs one from `cert issue`.
    #[arg(long, conflicts_with_all = ["psk_identity", "cert", "ca"])]
    pub owner_cert: bool,
}

#[derive(Args, Debug)]
pub struct OwnArgs {
    /// The device: coap:// address, HOST[:PORT], device UUID or device name.
    #[arg(value_name = "DEVICE", add = ArgValueCompleter::new(complete::devices))]
    pub device: String,
    /// Ownership transfer method; auto picks mfg when --mfg-ca is given, else jw, else rdp.
    #[arg(long, value_enum, default_value_t = OtmChoice::Auto)]
    pub otm: OtmChoice,
    /// Read the Random PIN from stdin instead of prompting for it.
    #[arg(long)]
    pub pin_stdin: bool,
    /// Trust anchors (PEM) for manufacturer certificates; repeatable.
    #[arg(long = "mfg-ca", value_name = "FILE", value_hint = clap::ValueHint::FilePath)]
    pub mfg_ca: Vec<PathBuf>,
    /// Find and read the device, print the steps ownership would take, and
    /// change nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub identity: IdentityCertArgs,
    #[command(flatten)]
    pub profile: ProfileArgs,
}

/// Who signs the identity certificate a device is given.
#[derive(Args, Debug, Clone)]
pub struct IdentityCertArgs {
    /// Give the device an identity certificate inside the ownership session, signed by the hub's certificate authority (with the profile's token) or this mediator's own CA [default: hub when the profile's hub names a certificate authority, else none].
    #[arg(long, value_enum, value_name = "SIGNER")]
    pub identity_cert: Option<IdentityCertChoice>,
    #[command(flatten)]
    pub lifetime: CertLifetimeArgs,
}

/// How long the local CA's certificates are valid.
#[derive(Args, Debug, Clone)]
pub struct CertLifetimeArgs {
    /// How long a certificate from the local CA is valid (e.g. 90d, 1y; at least 1h).
    #[arg(long, value_name = "DURATION", default_value = "365d", value_parser = parse_lifetime)]
    pub cert_lifetime: Duration,
}

/// The signers of identity certificates.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdentityCertChoice {
    /// The hub's certificate authority (POST /api/v1/sign/identity-csr with the profile's token).
    Hub,
    /// This mediator's own CA (made on first use; `cert ca` prints it).
    Local,
    /// No identity certificate.
    None,
}

/// The signers `cert issue` takes.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignerChoice {
    /// The hub's certificate authority (POST /api/v1/sign/identity-csr with the profile's token).
    Hub,
    /// This mediator's own CA (made on first use; `cert ca` prints it).
    Local,
}

/// `ocf-mediator cert …`
#[derive(Subcommand, Debug)]
pub enum CertCommand {
    /// Give a device this mediator owns an identity certificate
    ///
    /// Over the owner session: GET /oic/sec/csr, the request checked, signed,
    /// the answer checked, then under RFPRO the certificate and its CA written
    /// to /oic/sec/cred (an earlier certificate from us removed), and RFNOP.
    #[command(after_long_help = help::CERT_ISSUE_EXAMPLES)]
    Issue(CertIssueArgs),
    /// Renew a device's identity certificate, from the signer that signed it
    ///
    /// With --within, only a certificate that expires within that time is
    /// renewed (for a daily job); the others are left alone.
    #[command(after_long_help = help::CERT_RENEW_EXAMPLES)]
    Renew(CertRenewArgs),
    /// Print the local CA's certificate (PEM), making the CA on first use
    ///
    /// Give it to whatever must trust the devices' certificates from the
    /// local CA. Its private key never leaves the store, where it is sealed
    /// under the key only the keyring holds.
    #[command(after_long_help = help::CERT_CA_EXAMPLES)]
    Ca,
}

#[derive(Args, Debug)]
pub struct CertIssueArgs {
    #[command(flatten)]
    pub device: OwnedDeviceArg,
    /// Who signs [default: hub when the profile's hub names a certificate authority, else local].
    #[arg(long, value_enum, value_name = "SIGNER")]
    pub signer: Option<SignerChoice>,
    #[command(flatten)]
    pub profile: ProfileArgs,
    #[command(flatten)]
    pub lifetime: CertLifetimeArgs,
}

#[derive(Args, Debug)]
pub struct CertRenewArgs {
    #[command(flatten)]
    pub device: OwnedDeviceArg,
    /// Renew only when the certificate expires within this time (e.g. 30d); otherwise leave it.
    #[arg(long, value_name = "DURATION", value_parser = parse_lifetime)]
    pub within: Option<Duration>,
    #[command(flatten)]
    pub lifetime: CertLifetimeArgs,
}

/// Ownership transfer methods.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum OtmChoice {
    /// From the device's offer: mfg with --mfg-ca, else jw, else rdp.
    Auto,
    /// Just Works (anonymous; anyone on the link could own the device).
    Jw,
    /// Random PIN shown by the device.
    Rdp,
    /// Manufacturer certificate.
    Mfg,
}

/// `ocf-mediator cloud …`
#[derive(Subcommand, Debug)]
pub enum CloudCommand {
    /// Point a device at a cloud: trust anchor, ACE and cloud configuration
    ///
    /// The cloud comes from a profile (`login`) or from --cis, --sid, --apn
    /// and --ca. The device's `at` is the profile's: an access token, or a
    /// one-time authorization code for the device where the hub's device
    /// client uses codes; or it is read from stdin (--token-stdin). A device
    /// already registered with this cloud is left alone; one set up for
    /// another cloud is refused unless --force.
    #[command(after_long_help = help::CLOUD_CONFIGURE_EXAMPLES)]
    Configure(CloudConfigureArgs),
    /// Print a device's cloud status (cps and clec) with what they mean
    ///
    /// With --wait registered, waits (within --timeout) until the device has
    /// registered, or says why it failed.
    #[command(after_long_help = help::CLOUD_STATUS_EXAMPLES)]
    Status(CloudStatusArgs),
    /// Make a device leave its cloud, and wait until it has
    ///
    /// Writes `{"cis": ""}` to its cloud configuration; the device signs off
    /// from the cloud and returns to `uninitialized`.
    #[command(after_long_help = help::CLOUD_DEREGISTER_EXAMPLES)]
    Deregister(OwnedDeviceArg),
}

#[derive(Args, Debug)]
pub struct ProvisionArgs {
    /// The devices: UUIDs, names or addresses.
    #[arg(value_name = "DEVICE", add = ArgValueCompleter::new(complete::devices))]
    pub devices: Vec<String>,
    /// Every unowned device a multicast round finds.
    #[arg(long, conflicts_with = "batch")]
    pub all_unowned: bool,
    /// A file naming the devices, one per line (JSON lines or CSV).
    #[arg(long, value_name = "FILE", value_hint = clap::ValueHint::FilePath)]
    pub batch: Option<PathBuf>,
    /// How many devices run at once.
    #[arg(long, value_name = "N", default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub jobs: u16,
    #[command(flatten)]
    pub cloud: CloudArgs,
    /// Read the devices' token (`at`) from stdin instead of the profile (the same for every device).
    #[arg(long, conflicts_with = "pin_stdin")]
    pub token_stdin: bool,
    /// Ownership transfer method for devices taken (a batch line's otm wins).
    #[arg(long, value_enum, default_value_t = OtmChoice::Auto)]
    pub otm: OtmChoice,
    /// Read the Random PIN from stdin (one device).
    #[arg(long)]
    pub pin_stdin: bool,
    /// Trust anchors (PEM) for manufacturer certificates; repeatable.
    #[arg(long = "mfg-ca", value_name = "FILE", value_hint = clap::ValueHint::FilePath)]
    pub mfg_ca: Vec<PathBuf>,
    /// How far to take each device.
    #[arg(long, value_enum, value_name = "STATE", default_value_t = ProvisionWait::Registered)]
    pub wait: ProvisionWait,
    #[command(flatten)]
    pub identity: IdentityCertArgs,
}

/// How far `provision` takes a device.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProvisionWait {
    /// Until the device reports cps = registered.
    Registered,
    /// Until the device holds its cloud configuration.
    Configured,
}

/// A device this mediator owns.
#[derive(Args, Debug)]
pub struct OwnedDeviceArg {
    /// The device: its UUID (as `devices` lists it), name or address.
    #[arg(value_name = "DEVICE", add = ArgValueCompleter::new(complete::owned_devices))]
    pub device: String,
}

#[derive(Args, Debug)]
pub struct CloudConfigureArgs {
    #[command(flatten)]
    pub device: OwnedDeviceArg,
    #[command(flatten)]
    pub cloud: CloudArgs,
    /// Read the device's token (`at`) from stdin instead of the profile.
    #[arg(long)]
    pub token_stdin: bool,
    /// Deregister a device set up for another cloud first.
    #[arg(long)]
    pub force: bool,
}

/// Which cloud: a profile, or its settings one by one.
#[derive(Args, Debug)]
pub struct CloudArgs {
    #[command(flatten)]
    pub profile: ProfileArgs,
    /// The cloud interface server (cis), e.g. coaps+tcp://cloud.example:5684 [default: the profile's].
    #[arg(long, value_name = "URI", requires_all = ["sid", "apn", "ca"])]
    pub cis: Option<String>,
    /// The cloud's UUID (sid) [default: the profile's].
    #[arg(long, value_name = "UUID", requires = "cis")]
    pub sid: Option<uuid::Uuid>,
    /// The authorisation provider name (apn) [default: the profile's].
    #[arg(long, value_name = "NAME", requires = "cis")]
    pub apn: Option<String>,
    /// The cloud's CA certificate, PEM: the device's trust anchor [default: the profile's].
    #[arg(long, value_name = "FILE", requires = "cis", value_hint = clap::ValueHint::FilePath)]
    pub ca: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct CloudStatusArgs {
    #[command(flatten)]
    pub device: OwnedDeviceArg,
    /// Wait until the device reaches this state (or fails), within --timeout.
    #[arg(long, value_enum, value_name = "STATE")]
    pub wait: Option<CloudWait>,
}

/// What `cloud status --wait` waits for.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloudWait {
    /// cps = registered.
    Registered,
}

#[derive(Args, Debug)]
pub struct DisownArgs {
    /// The device: its UUID (as `devices` lists it), name or coap:// address.
    #[arg(value_name = "DEVICE", add = ArgValueCompleter::new(complete::owned_devices))]
    pub device: String,
    /// Do not talk to the device: only drop its entry and its key. For a
    /// device that is gone for good (broken, replaced, reset at the device),
    /// or an entry left by an ownership that never reached it.
    #[arg(long)]
    pub forget: bool,
    /// Do not ask for a confirmation (scripts must pass it).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Find the device, print the steps disowning would take, and change
    /// nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Args, Debug)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// The longest duration a flag takes. Longer ones are typos (`1e20`) or
/// jobs for a loop in a script; the bound also keeps deadline arithmetic
/// (`Instant + Duration`) far from overflowing.
pub const MAX_DURATION: Duration = Duration::from_secs(60 * 60);

const DURATION_EXAMPLES: &str = "examples: 3s, 500ms, 1m30s";

/// Parses `3s`, `500ms`, `1m30s`, or a bare number of seconds: more than
/// zero and at most [`MAX_DURATION`].
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let duration = match text.parse::<f64>() {
        Ok(seconds) if seconds.is_finite() => {
            // Compared before converting: Duration::from_secs_f64 panics
            // on values it cannot hold.
            if seconds > MAX_DURATION.as_secs_f64() {
                return Err(too_long(text));
            }
            if seconds <= 0.0 {
                return Err(format!(
                    "{text} is not more than zero ({DURATION_EXAMPLES})"
                ));
            }
            Duration::from_secs_f64(seconds)
        }
        Ok(_) => return Err(format!("{text} is not a duration ({DURATION_EXAMPLES})")),
        Err(_) => humantime::parse_duration(text).map_err(|e| match e {
            humantime::DurationError::NumberOverflow => too_long(text),
            e => format!("{e} ({DURATION_EXAMPLES})"),
        })?,
    };
    if duration.is_zero() {
        return Err(format!(
            "{text} is not more than zero ({DURATION_EXAMPLES})"
        ));
    }
    if duration > MAX_DURATION {
        return Err(too_long(text));
    }
    Ok(duration)
}

/// The longest certificate lifetime a flag takes (20 years, the local CA's own).
pub const MAX_LIFETIME: Duration = Duration::from_secs(20 * 365 * 24 * 3600);

/// Parses a certificate lifetime or renewal window: `90d`, `1y`, `12h`,
/// from an hour to twenty years.
pub fn parse_lifetime(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let duration =
        humantime::parse_duration(text).map_err(|e| format!("{e} (examples: 90d, 1y, 12h)"))?;
    if duration < Duration::from_secs(3600) {
        return Err(format!("{text} is shorter than an hour"));
    }
    if duration > MAX_LIFETIME {
        return Err(format!("{text} is longer than 20 years"));
    }
    Ok(duration)
}

fn too_long(text: &str) -> String {
    format!(
        "{text} is longer than {}, the longest wait this tool takes",
        humantime::format_duration(MAX_DURATION)
    )
}

/// `ocf-mediator keys …`
#[derive(Subcommand, Debug)]
pub enum KeysCommand {
    /// Write the owner keys of all (or some) devices to a passphrase-sealed file
    ///
    /// The file holds the devices' records, their owner keys and the
    /// mediator's UUID, sealed with a passphrase (scrypt and AES-256-GCM).
    #[command(after_long_help = help::KEYS_EXPORT_EXAMPLES)]
    Export(KeysExportArgs),
    /// Add the devices and owner keys of a file written by `keys export`
    ///
    /// The keys are sealed again under this store's key; devices already here
    /// with the same key are skipped, and conflicts are reported (exit status
    /// 7).
    #[command(after_long_help = help::KEYS_IMPORT_EXAMPLES)]
    Import(KeysImportArgs),
}

#[derive(Args, Debug)]
pub struct KeysExportArgs {
    /// The file to write (created 0600; an existing file is kept unless --force).
    #[arg(long, value_name = "FILE", value_hint = clap::ValueHint::FilePath)]
    pub out: PathBuf,
    /// Export only this device (its UUID); repeatable [default: every device].
    #[arg(long = "device", value_name = "DI")]
    pub devices: Vec<uuid::Uuid>,
    /// Replace FILE if it exists.
    #[arg(long)]
    pub force: bool,
    /// Read the passphrase from the first line of stdin instead of prompting (twice) for it.
    #[arg(long)]
    pub passphrase_stdin: bool,
}

#[derive(Args, Debug)]
pub struct KeysImportArgs {
    /// A file written by `keys export`.
    #[arg(value_name = "FILE", value_hint = clap::ValueHint::FilePath)]
    pub file: PathBuf,
    /// Read the passphrase from the first line of stdin instead of prompting for it.
    #[arg(long)]
    pub passphrase_stdin: bool,
}
