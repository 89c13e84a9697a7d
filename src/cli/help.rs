//! What people read besides the flags: examples for each command (shown by
//! `--help` and in the man pages' EXAMPLES), the environment, the files and
//! the exit codes. Kept in one place so that `--help` and the man pages say
//! the same thing.
//!
//! Examples are `# description` lines, each followed by the command; every
//! command has one for a person at a terminal and one "In a script".

/// Examples of the whole tool, shown by `ocf-mediator --help` before the exit codes.
macro_rules! top_examples {
    () => {
        "\
Examples:
  # Find devices, take one (asks for the PIN it shows), read it over the owner session
  ocf-mediator discover
  ocf-mediator own Porch
  ocf-mediator get Porch /oic/d
  # In a script: JSON lines out, never a prompt, exit codes to act on
  ocf-mediator --json --no-input discover --unowned | jq -r .di"
    };
}

/// `ocf-mediator --help` after the options: examples, then the exit codes.
pub const TOP_AFTER_HELP: &str = concat!(
    top_examples!(),
    "\n\n",
    crate::cli::exit::exit_codes_table!()
);

pub const DISCOVER_EXAMPLES: &str = "\
Examples:
  # Every device on the network, as a table
  ocf-mediator discover
  # In a script: the UUIDs of the devices not owned yet, listening longer
  ocf-mediator --json discover --unowned --wait 5s --rounds 2 | jq -r .di";

pub const GET_EXAMPLES: &str = "\
Examples:
  # A device's name and identity, by its name, UUID or address
  ocf-mediator get Porch /oic/d
  # In a script: one value out of the JSON line
  ocf-mediator --json get 192.0.2.7:5683 /oic/d | jq -r .representation.n";

pub const UPDATE_EXAMPLES: &str = "\
Examples:
  # Select Just Works on an unowned device
  ocf-mediator update 192.0.2.7:5683 /oic/sec/doxm --data '{\"oxmsel\": 0}'
  # In a script: write an owned device's cloud configuration from a file
  ocf-mediator --json --no-input update \"$DI\" /CoapCloudConfResURI --data @conf.json";

pub const LOGIN_EXAMPLES: &str = "\
Examples:
  # Log in to a plgd hub in a browser (or with a code on another device)
  ocf-mediator login --hub https://hub.example
  # In a script: a factory line's client credentials, the secret on stdin
  printf '%s' \"$SECRET\" | ocf-mediator --json login --profile line3 --hub https://hub.example --client-credentials --client-secret-stdin";

pub const LOGOUT_EXAMPLES: &str = "\
Examples:
  # Revoke and forget the default profile
  ocf-mediator logout
  # In a script: a factory line's profile, the outcome as JSON
  ocf-mediator --json logout --profile line3";

pub const PROFILES_EXAMPLES: &str = "\
Examples:
  # The profiles and whether each is logged in
  ocf-mediator profiles
  # In a script: the names of the profiles
  ocf-mediator --json profiles | jq -r .profile";

pub const TOKEN_EXAMPLES: &str = "\
Examples:
  # What a device needs as its cloud access token (a hub may ask you to log in in a browser)
  ocf-mediator token --device 73d72c2d-f8d4-4482-91f2-8f1f51b8de59
  # In a script: the token into a variable, never onto the command line
  AT=$(ocf-mediator --no-input token --profile line3)";

pub const OWN_EXAMPLES: &str = "\
Examples:
  # Take a device; for Random PIN, type the PIN it shows (hidden)
  ocf-mediator own Porch
  # See the steps it would take, without changing anything
  ocf-mediator own Porch --dry-run
  # In a script: the PIN on stdin, a JSON line out
  printf '%s\\n' \"$PIN\" | ocf-mediator --json --no-input own 192.0.2.7:5683 --otm rdp --pin-stdin";

pub const DISOWN_EXAMPLES: &str = "\
Examples:
  # Reset a device this mediator owns and forget its key (it asks first)
  ocf-mediator disown Porch
  # In a script: reset without asking
  ocf-mediator --json --no-input disown --yes \"$DI\"
  # In a script: drop the entry of a device that is gone for good, by UUID
  ocf-mediator --json --no-input disown --yes --forget \"$DI\"";

pub const DEVICES_EXAMPLES: &str = "\
Examples:
  # The devices this mediator owns, and where their keys are
  ocf-mediator devices
  # In a script: the devices whose owner key is missing
  ocf-mediator --json devices | jq -r 'select(.key == \"missing\") | .di'";

pub const CLOUD_EXAMPLES: &str = "\
Examples:
  # Point a device at the cloud of the default profile, then watch it register
  ocf-mediator cloud configure Porch && ocf-mediator cloud status Porch --wait registered
  # In a script: the status of a device as JSON
  ocf-mediator --json --no-input cloud status \"$DI\"";

pub const CLOUD_CONFIGURE_EXAMPLES: &str = "\
Examples:
  # Point a device at the cloud of the default profile (you may be asked to log in)
  ocf-mediator cloud configure Porch
  # In a script: another cloud's settings and a token from stdin
  printf '%s' \"$AT\" | ocf-mediator --json --no-input cloud configure \"$DI\" --cis coaps+tcp://cloud.example:5684 --sid \"$SID\" --apn plgd --ca cloud-ca.pem --token-stdin";

pub const CLOUD_STATUS_EXAMPLES: &str = "\
Examples:
  # Is the device registered, and if not, why?
  ocf-mediator cloud status Porch
  # In a script: wait up to a minute for the registration
  ocf-mediator --json --no-input --timeout 1m cloud status \"$DI\" --wait registered";

pub const CLOUD_DEREGISTER_EXAMPLES: &str = "\
Examples:
  # Take a device off its cloud
  ocf-mediator cloud deregister Porch
  # In a script
  ocf-mediator --json --no-input cloud deregister \"$DI\"";

pub const PROVISION_EXAMPLES: &str = "\
Examples:
  # Pick unowned devices from a list, and take them to the default profile's cloud
  ocf-mediator provision
  # One device by name, stopping once it is configured
  ocf-mediator provision Porch --wait configured
  # In a script: a factory line's batch, 32 at a time, one JSON record per device
  ocf-mediator --json --no-input provision --batch line3.csv --jobs 32 --profile line3";

pub const CERT_EXAMPLES: &str = "\
Examples:
  # Give a device an identity certificate from the default profile's hub
  ocf-mediator cert issue Porch
  # In a script: renew each certificate that expires within 30 days
  ocf-mediator --json devices | jq -r .di | xargs -n1 ocf-mediator --json --no-input cert renew --within 30d";

pub const CERT_ISSUE_EXAMPLES: &str = "\
Examples:
  # A certificate from this mediator's own CA, valid for 90 days
  ocf-mediator cert issue Porch --signer local --cert-lifetime 90d
  # In a script: from the hub of profile line3, a JSON line out
  ocf-mediator --json --no-input cert issue \"$DI\" --signer hub --profile line3";

pub const CERT_RENEW_EXAMPLES: &str = "\
Examples:
  # Renew a device's certificate now
  ocf-mediator cert renew Porch
  # In a script: renew only when it expires within 30 days
  ocf-mediator --json --no-input cert renew \"$DI\" --within 30d";

pub const CERT_CA_EXAMPLES: &str = "\
Examples:
  # Show the local CA's certificate
  ocf-mediator cert ca
  # In a script: save it for whatever must trust the devices
  ocf-mediator cert ca > local-ca.pem";

pub const KEYS_EXAMPLES: &str = "\
Examples:
  # Keep the owner keys safe before replacing this station (asks for a passphrase twice)
  ocf-mediator keys export --out station.keys
  # In a script: import them on the new station, the passphrase on stdin
  cat passphrase.txt | ocf-mediator --json --no-input keys import station.keys --passphrase-stdin";

pub const KEYS_EXPORT_EXAMPLES: &str = "\
Examples:
  # Every device's owner key, sealed with a passphrase you type twice
  ocf-mediator keys export --out station.keys
  # In a script: one device, the passphrase on stdin
  cat passphrase.txt | ocf-mediator --json --no-input keys export --out porch.keys --device \"$DI\" --passphrase-stdin";

pub const KEYS_IMPORT_EXAMPLES: &str = "\
Examples:
  # Take over the devices of an exported station (asks for the passphrase)
  ocf-mediator keys import station.keys
  # In a script: the passphrase on stdin
  cat passphrase.txt | ocf-mediator --json --no-input keys import station.keys --passphrase-stdin";

pub const COMPLETIONS_EXAMPLES: &str = "\
Examples:
  # Complete in this bash session (devices, profiles and flags, live)
  source <(ocf-mediator completions bash)
  # In a script: install the fish completion for the user
  ocf-mediator completions fish > ~/.config/fish/completions/ocf-mediator.fish";

macro_rules! devsim_examples {
    () => {
        "\
Examples:
  # One device called Porch, on every address, until Ctrl-C
  ocf-devsim device --name Porch
  # A whole rehearsal (an OAuth server, a cloud, 3 devices) and a shell inside it; leave the shell to end it
  ocf-devsim lab --devices 3 --run \"$SHELL\"
  # In a script: 50 devices on loopback in the background, one JSON line each
  ocf-devsim device --count 50 --listen 127.0.0.1:0 --no-multicast --json > devices.jsonl &"
    };
}

macro_rules! devsim_exit_codes {
    () => {
        "\
Exit status:
  0  stopped by SIGINT or SIGTERM
  1  the devices could not run (e.g. the address is taken)
  2  usage error"
    };
}

/// `ocf-devsim --help` after the options: examples, then the exit codes.
pub const DEVSIM_TOP_AFTER_HELP: &str = concat!(devsim_examples!(), "\n\n", devsim_exit_codes!());

pub const DEVSIM_DEVICE_EXAMPLES: &str = "\
Examples:
  # A device that offers Random PIN and shows its PIN on stderr
  ocf-devsim device --name Porch --otm rdp
  # In a script: a device that keeps its identity across restarts, a fixed PIN
  ocf-devsim device --json --otm jw,rdp --pin 12345678 --state-dir ./devices";

pub const DEVSIM_CLOUD_EXAMPLES: &str = "\
Examples:
  # A cloud on loopback, for devices and `ocf-mediator login --hub`
  ocf-devsim cloud --listen 127.0.0.1:5684
  # In a script: one JSON line at start (sid, cis, hub URL, CA file), then one per event
  ocf-devsim cloud --json --listen 127.0.0.1:0 --expires-in 30 > cloud.jsonl";

pub const DEVSIM_LAB_EXAMPLES: &str = "\
Examples:
  # A rehearsal with 3 devices: the whole job, from login to registered, then stop
  ocf-devsim lab --devices 3 --run 'set -e; ocf-mediator login --hub \"$OCF_LAB_HUB\" --client-credentials; ocf-mediator provision --batch \"$OCF_LAB_DEVICES\"'
  # A rehearsal that stays up until Ctrl-C, for commands typed in another shell
  ocf-devsim lab --devices 10
  # In a script: the startup line (hub, secret, devices) and the cloud's events as JSON lines
  ocf-devsim lab --json --devices 50 > lab.jsonl &";

/// Variables a command reads besides those of its flags (which the
/// definitions name with `env`): `(variable, meaning)`.
pub const MEDIATOR_ENVIRONMENT: &[(&str, &str)] = &[
    (
        "OCF_MEDIATOR_CLIENT_SECRET",
        "The OAuth client secret for login --client-credentials when --client-secret-stdin is not \
         given; the keyring is asked after it.",
    ),
    (
        "OCF_MEDIATOR_NO_NETWORK_COMPLETION",
        "When set (to anything but 0 or an empty value), shell completion offers only what the \
         state holds and sends no multicast to look for devices.",
    ),
    (
        "COMPLETE",
        "Set by the completion scripts (to the shell's name) when they ask ocf-mediator for \
         completions; `COMPLETE=bash ocf-mediator` prints the bash script.",
    ),
    (
        "XDG_DATA_HOME",
        "The state directory is $XDG_DATA_HOME/ocf-mediator when --state-dir is not given.",
    ),
    (
        "HOME",
        "Without XDG_DATA_HOME, the state directory is ~/.local/share/ocf-mediator.",
    ),
    (
        "DBUS_SESSION_BUS_ADDRESS",
        "The session bus on which the Secret Service (the keyring) is found on Linux.",
    ),
    (
        "BROWSER",
        "The program login opens the authorization URL with (default: xdg-open, when DISPLAY or \
         WAYLAND_DISPLAY is set).",
    ),
    (
        "DISPLAY",
        "With WAYLAND_DISPLAY: whether a browser can be opened, which makes --browser the default \
         login flow.",
    ),
    ("WAYLAND_DISPLAY", "See DISPLAY."),
    (
        "OCF_MEDIATOR_TEST_STOP_AFTER",
        "For the project's crash-safety tests only: the process ends abruptly before its (N+1)th \
         request to a device. Never set it otherwise.",
    ),
];

pub const DEVSIM_ENVIRONMENT: &[(&str, &str)] = &[
    (
        "COMPLETE",
        "Set by the completion scripts (to the shell's name) when they ask ocf-devsim for \
         completions; `COMPLETE=bash ocf-devsim` prints the bash script.",
    ),
    (
        "OCF_LAB_HUB",
        "Set by ocf-devsim lab for its --run command: the hub's URL, for ocf-mediator login --hub.",
    ),
    (
        "OCF_LAB_DEVICES",
        "Set by ocf-devsim lab for its --run command: the file listing the lab's devices by \
         address, one JSON line each, for ocf-mediator provision --batch.",
    ),
    (
        "OCF_LAB_ISSUER",
        "Set by ocf-devsim lab for its --run command: the URL of its OAuth server.",
    ),
    (
        "OCF_LAB_CA_FILE",
        "Set by ocf-devsim lab for its --run command: the cloud's CA certificate (PEM), the \
         devices' trust anchor.",
    ),
];

/// FILES of the mediator's man pages: `(path, what it holds)`.
pub const MEDIATOR_FILES: &[(&str, &str)] = &[
    (
        "$XDG_DATA_HOME/ocf-mediator/ (~/.local/share/ocf-mediator/)",
        "The state directory (--state-dir, OCF_MEDIATOR_STATE_DIR). It holds no secret.",
    ),
    (
        "<state directory>/store.sqlite3 (and its -wal and -shm files)",
        "The mediator's own UUID (its identity as an owner), one record per device it owns (UUID, \
         name, endpoints, ownership transfer method, which keyring holds the key that seals its \
         owner key, whether the ownership finished) with the owner key sealed (AES-256-GCM) under \
         a key-encryption key only the keyring holds, and the cloud profiles (OAuth server, \
         client, cloud settings). Files 0600 in a 0700 directory.",
    ),
    (
        "<state directory>/state.json.migrated",
        "The state file of an earlier version, kept after its contents moved into the store.",
    ),
    (
        "OS keyring, service \"ocf-mediator\"",
        "The secrets, and only there: one key-encryption key per store and keyring (account \
         kek/<store id>) that seals every owner key, and each cloud profile's refresh token, \
         client secret and cached access token (accounts profile/<NAME>/refresh_token, \
         client_secret, access_token). The Secret Service on Linux desktops, the Keychain on \
         macOS, the Credential Manager on Windows; with --volatile-keyring, the Linux kernel \
         keyring (the session keyring, else the user keyring; lost on reboot).",
    ),
];

pub const DEVSIM_FILES: &[(&str, &str)] = &[
    (
        "<--state-dir>/",
        "With --state-dir, each simulated device's identity and security state (UUID, owner, \
         credentials, ACLs, pstat), so that it survives restarts. Without it, nothing is written.",
    ),
    (
        "<lab directory>/devices.jsonl",
        "ocf-devsim lab's devices by address, one JSON line each, for ocf-mediator provision \
         --batch. The lab directory is --dir, or a private scratch directory removed when the \
         lab stops.",
    ),
    (
        "<lab directory>/mediator/",
        "The mediator's state directory for ocf-devsim lab's --run command \
         (OCF_MEDIATOR_STATE_DIR). It holds no secret.",
    ),
];

/// EXIT STATUS of `ocf-devsim`.
pub const DEVSIM_EXIT_CODES: &str = devsim_exit_codes!();
