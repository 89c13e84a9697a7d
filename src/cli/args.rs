//! The command line, defined once: parsing, `--help`, man pages and shell
//! completions all come from these types.

use std::path::PathBuf;
use std::time::Duration;

use clap::builder::BoolishValueParser;
use clap::{ArgAction, Args, Parser, Subcommand};

use super::exit::EXIT_CODES_HELP;

#[derive(Parser, Debug)]
#[command(
    name = "ocf-mediator",
    version,
    about = "Discover, onboard and cloud-provision OCF devices",
    long_about = "ocf-mediator finds OCF devices on the local network and talks to them over CoAP.\n\n\
                  DEVICE arguments accept an address (127.0.0.1:5683, [::1]:5683, coap://host:port), \
                  a device UUID (found by multicast discovery) or a unique device name.",
    after_long_help = EXIT_CODES_HELP,
    propagate_version = true,
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command takes; each also reads an environment variable.
#[derive(Args, Debug, Clone)]
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
    /// How long to wait for one device before giving up (e.g. 10s, 500ms).
    #[arg(long, global = true, env = "OCF_MEDIATOR_TIMEOUT", value_name = "DURATION",
          default_value = "10s", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Where the mediator keeps its state (owned devices, cloud profiles, its own UUID).
    /// Default: $XDG_DATA_HOME/ocf-mediator (~/.local/share/ocf-mediator). Owner keys are kept
    /// there only sealed, under a key that only the keyring holds.
    #[arg(
        long,
        global = true,
        env = "OCF_MEDIATOR_STATE_DIR",
        value_name = "DIR"
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
    /// Find OCF devices by multicast, or ask given addresses.
    #[command(after_long_help = EXIT_CODES_HELP)]
    Discover(DiscoverArgs),
    /// Read a resource of a device and print its representation.
    #[command(after_long_help = EXIT_CODES_HELP)]
    Get(GetArgs),
    /// Update a resource of a device: POST a JSON body as OCF CBOR.
    #[command(after_long_help = EXIT_CODES_HELP)]
    Update(UpdateArgs),
    /// Log in to a cloud's OAuth server and save a cloud profile.
    #[command(after_long_help = EXIT_CODES_HELP)]
    Login(LoginArgs),
    /// Revoke a cloud profile's tokens (where the server can) and delete the profile and its secrets.
    #[command(after_long_help = EXIT_CODES_HELP)]
    Logout(ProfileArgs),
    /// List the cloud profiles.
    #[command(after_long_help = EXIT_CODES_HELP)]
    Profiles,
    /// Print what a device needs as its cloud access token (`at`) on stdout.
    #[command(after_long_help = EXIT_CODES_HELP)]
    Token(TokenArgs),
    /// Take ownership of a new device (Just Works, Random PIN or manufacturer certificate).
    #[command(after_long_help = EXIT_CODES_HELP)]
    Own(OwnArgs),
    /// Hard-reset a device this mediator owns and forget its owner key.
    #[command(after_long_help = EXIT_CODES_HELP)]
    Disown(DisownArgs),
    /// List the devices this mediator owns, and whether each owner key is in the keyring.
    #[command(after_long_help = EXIT_CODES_HELP)]
    Devices,
    /// Export owner keys to a passphrase-sealed file, or import them (to replace a station).
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Print a shell completion script.
    Completions(CompletionsArgs),
}

#[derive(Args, Debug)]
#[command(
    group(clap::ArgGroup::new("flow").args(["device_code", "browser", "client_credentials"])),
    long_about = "Log in to a cloud's OAuth 2.0 server and save (or refresh) a cloud profile.\n\n\
    With --hub, everything comes from the plgd hub's /.well-known/hub-configuration (hub id as sid, \
    coapGateway as cis, certificateAuthorities as the trust anchor, the authority and its OAuth clients) \
    and the authority's OpenID discovery document. Without a hub, name the OAuth server with --issuer and \
    --client-id, and the cloud with --cis, --sid, --apn and --ca. A second login to an existing profile \
    reuses its settings.\n\n\
    Flows: --device-code (RFC 8628; the default without a browser), --browser (authorization code with \
    PKCE and a redirect to 127.0.0.1; the default where a browser can be opened), --client-credentials \
    (factory lines; the secret from --client-secret-stdin, the OCF_MEDIATOR_CLIENT_SECRET environment \
    variable, or the keyring where a previous login stored it). With --json every prompt is a JSON line \
    on stdout.\n\n\
    The refresh token, the client secret and the cached access token go to the keyring only."
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
    #[arg(long, value_name = "FILE")]
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
        env = "OCF_MEDIATOR_PROFILE"
    )]
    pub profile: String,
}

#[derive(Args, Debug)]
#[command(
    long_about = "Print what a device needs as its cloud access token (`at`), on stdout and nowhere else.\n\n\
    For clouds that take an access token, prints the profile's access token (for the cloud's audience, \
    carrying the user's or factory client's identity), refreshed first when it is about to expire; a \
    cached token that is still valid needs no network. For plgd hubs whose device OAuth client uses \
    authorization codes (plgd's default), prints a one-time code from an authorization request for the \
    device client with --device's id, as plgd's UI does: captured from the redirect when the hub's \
    redirect URI is a loopback address, pasted by the person at the terminal otherwise."
)]
pub struct TokenArgs {
    #[command(flatten)]
    pub profile: ProfileArgs,
    /// The device the token or code is for (its di); needed for authorization-code hubs.
    #[arg(long, value_name = "DI")]
    pub device: Option<uuid::Uuid>,
}

#[derive(Args, Debug)]
#[command(long_about = "Find OCF devices.\n\n\
    Without --address, sends GET /oic/res to 224.0.1.187 and ff02::158 (and ff03::158, ff05::158) \
    on port 5683 on every interface and listens for --wait; real devices delay their answers by up \
    to 2 s. With --address, asks only those devices and returns as soon as each has answered.\n\n\
    For each device: di, name (/oic/d n), whether it is owned and the ownership transfer methods it \
    offers (/oic/sec/doxm), its endpoints, and the href of its cloud configuration resource.")]
pub struct DiscoverArgs {
    /// Ask this device directly (HOST[:PORT], coap://HOST:PORT); repeatable.
    #[arg(long = "address", short = 'a', value_name = "HOST[:PORT]")]
    pub addresses: Vec<String>,
    /// Only devices that are owned.
    #[arg(long, conflicts_with = "unowned")]
    pub owned: bool,
    /// Only devices that are not owned yet.
    #[arg(long)]
    pub unowned: bool,
    /// How long each multicast round listens.
    #[arg(long, value_name = "DURATION", default_value = "3s", value_parser = parse_duration)]
    pub wait: Duration,
    /// Multicast rounds; answers accumulate over rounds.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub rounds: u32,
}

#[derive(Args, Debug)]
#[command(
    long_about = "Read a resource over plain CoAP and print its representation: \
    CBOR as JSON (byte strings as base64), text as text.\n\n\
    The request carries OCF's Accept options (content format 10000, version 1.0.0); \
    a generic CoAP server that rejects them (4.02 Bad Option, 4.06 Not Acceptable) is asked again without them."
)]
pub struct GetArgs {
    /// The device: address, coap:// URI, device UUID or device name.
    #[arg(value_name = "DEVICE")]
    pub device: String,
    /// The resource path, with an optional query (e.g. /oic/d, /oic/res?rt=oic.r.doxm).
    #[arg(value_name = "HREF")]
    pub href: String,
    #[command(flatten)]
    pub dtls: DtlsArgs,
}

#[derive(Args, Debug)]
#[command(
    long_about = "Update a resource: POST a JSON body, sent as OCF CBOR (content format 10000, \
    version 1.0.0), and print the device's answer like `get` does. Bodies larger than 1024 bytes go \
    block-wise (Block1).\n\nExample: ocf-mediator update 192.0.2.7:5683 /oic/sec/doxm --data '{\"oxmsel\":0}'"
)]
pub struct UpdateArgs {
    /// The device: address, coap:// or coaps:// URI, device UUID or device name.
    #[arg(value_name = "DEVICE")]
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
        value_name = "FILE",
        requires = "key",
        conflicts_with = "psk_identity"
    )]
    pub cert: Option<PathBuf>,
    /// The private key (PEM, PKCS#8 or SEC1, P-256) of --cert.
    #[arg(long, value_name = "FILE", requires = "cert")]
    pub key: Option<PathBuf>,
    /// Trust anchors (PEM) that the device's certificate chain must verify against; repeatable.
    #[arg(long = "ca", value_name = "FILE", conflicts_with = "psk_identity")]
    pub ca: Vec<PathBuf>,
}

#[derive(Args, Debug)]
#[command(
    long_about = "Take ownership of an unowned device over OCF's device ownership connection.\n\n\
    The mediator selects the method, opens the DTLS session it uses (Just Works: anonymous ECDH; \
    Random PIN: ECDHE-PSK keyed by the PIN the device shows; manufacturer certificate: ECDHE-ECDSA \
    with the device's chain checked against --mfg-ca), derives the owner key from that session, stores \
    it in the OS keyring, and only then makes itself the device's owner: owner and resource owners, a \
    new device UUID, the owner credential, RFPRO, an ACL that gives this mediator the device \
    configuration resources it needs (including cloud configuration), and RFNOP.\n\n\
    If anything fails half-way, the device is reset to RFOTM when the session still allows it; \
    otherwise the key stays stored and running `own` again finishes or repairs the ownership."
)]
pub struct OwnArgs {
    /// The device: coap:// address, HOST[:PORT], device UUID or device name.
    #[arg(value_name = "DEVICE")]
    pub device: String,
    /// Ownership transfer method; auto picks mfg when --mfg-ca is given, else jw, else rdp.
    #[arg(long, value_enum, default_value_t = OtmChoice::Auto)]
    pub otm: OtmChoice,
    /// Read the Random PIN from stdin instead of prompting for it.
    #[arg(long)]
    pub pin_stdin: bool,
    /// Trust anchors (PEM) for manufacturer certificates; repeatable.
    #[arg(long = "mfg-ca", value_name = "FILE")]
    pub mfg_ca: Vec<PathBuf>,
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

#[derive(Args, Debug)]
#[command(
    long_about = "Hard-reset a device this mediator owns: POST pstat RESET over the owner \
    session, wait until the device is back unowned in RFOTM (it takes a new UUID), then remove its \
    owner key from the keyring and its entry from the state file."
)]
pub struct DisownArgs {
    /// The device: its UUID (as `devices` lists it), name or coap:// address.
    #[arg(value_name = "DEVICE")]
    pub device: String,
    /// Do not talk to the device: only drop its entry and its key. For a
    /// device that is gone for good (broken, replaced, reset at the device),
    /// or an entry left by an ownership that never reached it.
    #[arg(long)]
    pub forget: bool,
}

#[derive(Args, Debug)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Parses `3s`, `500ms`, `1m30s`, or a bare number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    if let Ok(seconds) = text.parse::<f64>() {
        if seconds.is_finite() && seconds >= 0.0 {
            return Ok(Duration::from_secs_f64(seconds));
        }
    }
    humantime::parse_duration(text).map_err(|e| format!("{e} (examples: 3s, 500ms, 1m)"))
}

#[derive(Subcommand, Debug)]
pub enum KeysCommand {
    /// Write the owner keys of all (or the selected) devices, with their records and the
    /// mediator's UUID, to FILE, sealed with a passphrase (scrypt and AES-256-GCM).
    #[command(after_long_help = EXIT_CODES_HELP)]
    Export(KeysExportArgs),
    /// Add the devices and owner keys of a file written by `keys export` to this mediator
    /// (sealed again under this store's key); devices already here with the same key are
    /// skipped, conflicts are reported (exit status 7).
    #[command(after_long_help = EXIT_CODES_HELP)]
    Import(KeysImportArgs),
}

#[derive(Args, Debug)]
pub struct KeysExportArgs {
    /// The file to write (created 0600; an existing file is kept unless --force).
    #[arg(long, value_name = "FILE")]
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
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Read the passphrase from the first line of stdin instead of prompting for it.
    #[arg(long)]
    pub passphrase_stdin: bool,
}
