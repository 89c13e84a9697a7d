# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_ocf_mediator_global_optspecs
    string join \n json no-input v/verbose q/quiet timeout= state-dir= volatile-keyring h/help V/version
end

function __fish_ocf_mediator_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_ocf_mediator_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_ocf_mediator_using_subcommand
    set -l cmd (__fish_ocf_mediator_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c ocf-mediator -n "__fish_ocf_mediator_needs_command" -l timeout -d 'How long to wait for one device before giving up (e.g. 10s, 500ms)' -r
complete -c ocf-mediator -n "__fish_ocf_mediator_needs_command" -l state-dir -d 'Where the mediator keeps its state (owned devices, cloud profiles, its own UUID). Default: $XDG_DATA_HOME/ocf-mediator (~/.local/share/ocf-mediator). Owner keys are kept there only sealed, under a key that only the keyring holds' -r -F
complete -c ocf-mediator -n "__fish_ocf_mediator_needs_command" -l json -d 'Print one JSON object per line on stdout instead of text for people'
complete -c ocf-mediator -n "__fish_ocf_mediator_needs_command" -l no-input -d 'Never prompt; implied when stdin is not a terminal'
complete -c ocf-mediator -n "__fish_ocf_mediator_needs_command" -s v -l verbose -d 'More detail on stderr (repeat for more)'
complete -c ocf-mediator -n "__fish_ocf_mediator_needs_command" -s q -l quiet -d 'Only errors on stderr'
complete -c ocf-mediator -n "__fish_ocf_mediator_needs_command" -l volatile-keyring -d 'Keep new secrets in the Linux kernel keyring instead of the Secret Service: in the process\'s session keyring, or the user keyring when it has no session keyring of its own (never the persistent keyring). Works headless, but the keys are lost on reboot (or when the session ends), and with them the devices they own: see `keys export`'
complete -c ocf-mediator -n "__fish_ocf_mediator_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ocf-mediator -n "__fish_ocf_mediator_needs_command" -s V -l version -d 'Print version'
complete -c ocf-mediator -n "__fish_ocf_mediator_needs_command" -f -a "discover" -d 'Find OCF devices by multicast, or ask given addresses'
complete -c ocf-mediator -n "__fish_ocf_mediator_needs_command" -f -a "get" -d 'Read a resource of a device and print its representation'
complete -c ocf-mediator -n "__fish_ocf_mediator_needs_command" -f -a "update" -d 'Update a resource of a device: POST a JSON body as OCF CBOR'
complete -c ocf-mediator -n "__fish_ocf_mediator_needs_command" -f -a "login" -d 'Log in to a cloud\'s OAuth server and save a cloud profile'
complete -c ocf-mediator -n "__fish_ocf_mediator_needs_command" -f -a "logout" -d 'Revoke a cloud profile\'s tokens (where the server can) and delete the profile and its secrets'
complete -c ocf-mediator -n "__fish_ocf_mediator_needs_command" -f -a "profiles" -d 'List the cloud profiles'
complete -c ocf-mediator -n "__fish_ocf_mediator_needs_command" -f -a "token" -d 'Print what a device needs as its cloud access token (`at`) on stdout'
complete -c ocf-mediator -n "__fish_ocf_mediator_needs_command" -f -a "own" -d 'Take ownership of a new device (Just Works, Random PIN or manufacturer certificate)'
complete -c ocf-mediator -n "__fish_ocf_mediator_needs_command" -f -a "disown" -d 'Hard-reset a device this mediator owns and forget its owner key'
complete -c ocf-mediator -n "__fish_ocf_mediator_needs_command" -f -a "devices" -d 'List the devices this mediator owns, and whether each owner key is in the keyring'
complete -c ocf-mediator -n "__fish_ocf_mediator_needs_command" -f -a "keys" -d 'Export owner keys to a passphrase-sealed file, or import them (to replace a station)'
complete -c ocf-mediator -n "__fish_ocf_mediator_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c ocf-mediator -n "__fish_ocf_mediator_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand discover" -s a -l address -d 'Ask this device directly (HOST[:PORT], coap://HOST:PORT); repeatable' -r
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand discover" -l wait -d 'How long each multicast round listens' -r
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand discover" -l rounds -d 'Multicast rounds; answers accumulate over rounds' -r
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand discover" -l timeout -d 'How long to wait for one device before giving up (e.g. 10s, 500ms)' -r
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand discover" -l state-dir -d 'Where the mediator keeps its state (owned devices, cloud profiles, its own UUID). Default: $XDG_DATA_HOME/ocf-mediator (~/.local/share/ocf-mediator). Owner keys are kept there only sealed, under a key that only the keyring holds' -r -F
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand discover" -l owned -d 'Only devices that are owned'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand discover" -l unowned -d 'Only devices that are not owned yet'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand discover" -l json -d 'Print one JSON object per line on stdout instead of text for people'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand discover" -l no-input -d 'Never prompt; implied when stdin is not a terminal'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand discover" -s v -l verbose -d 'More detail on stderr (repeat for more)'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand discover" -s q -l quiet -d 'Only errors on stderr'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand discover" -l volatile-keyring -d 'Keep new secrets in the Linux kernel keyring instead of the Secret Service: in the process\'s session keyring, or the user keyring when it has no session keyring of its own (never the persistent keyring). Works headless, but the keys are lost on reboot (or when the session ends), and with them the devices they own: see `keys export`'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand discover" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand discover" -s V -l version -d 'Print version'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand get" -l psk-identity -d 'PSK identity: UTF-8 text, or uuid:<UUID> for the UUID\'s 16 raw bytes (as OCF devices expect)' -r
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand get" -l cert -d 'Our certificate chain (PEM), for mutual authentication with certificate suites' -r -F
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand get" -l key -d 'The private key (PEM, PKCS#8 or SEC1, P-256) of --cert' -r -F
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand get" -l ca -d 'Trust anchors (PEM) that the device\'s certificate chain must verify against; repeatable' -r -F
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand get" -l timeout -d 'How long to wait for one device before giving up (e.g. 10s, 500ms)' -r
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand get" -l state-dir -d 'Where the mediator keeps its state (owned devices, cloud profiles, its own UUID). Default: $XDG_DATA_HOME/ocf-mediator (~/.local/share/ocf-mediator). Owner keys are kept there only sealed, under a key that only the keyring holds' -r -F
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand get" -l psk-stdin -d 'Read the pre-shared key from stdin, as hex'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand get" -l json -d 'Print one JSON object per line on stdout instead of text for people'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand get" -l no-input -d 'Never prompt; implied when stdin is not a terminal'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand get" -s v -l verbose -d 'More detail on stderr (repeat for more)'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand get" -s q -l quiet -d 'Only errors on stderr'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand get" -l volatile-keyring -d 'Keep new secrets in the Linux kernel keyring instead of the Secret Service: in the process\'s session keyring, or the user keyring when it has no session keyring of its own (never the persistent keyring). Works headless, but the keys are lost on reboot (or when the session ends), and with them the devices they own: see `keys export`'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand get" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand get" -s V -l version -d 'Print version'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand update" -s d -l data -d 'The body as JSON; @FILE reads it from a file, - from stdin' -r
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand update" -l psk-identity -d 'PSK identity: UTF-8 text, or uuid:<UUID> for the UUID\'s 16 raw bytes (as OCF devices expect)' -r
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand update" -l cert -d 'Our certificate chain (PEM), for mutual authentication with certificate suites' -r -F
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand update" -l key -d 'The private key (PEM, PKCS#8 or SEC1, P-256) of --cert' -r -F
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand update" -l ca -d 'Trust anchors (PEM) that the device\'s certificate chain must verify against; repeatable' -r -F
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand update" -l timeout -d 'How long to wait for one device before giving up (e.g. 10s, 500ms)' -r
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand update" -l state-dir -d 'Where the mediator keeps its state (owned devices, cloud profiles, its own UUID). Default: $XDG_DATA_HOME/ocf-mediator (~/.local/share/ocf-mediator). Owner keys are kept there only sealed, under a key that only the keyring holds' -r -F
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand update" -l psk-stdin -d 'Read the pre-shared key from stdin, as hex'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand update" -l json -d 'Print one JSON object per line on stdout instead of text for people'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand update" -l no-input -d 'Never prompt; implied when stdin is not a terminal'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand update" -s v -l verbose -d 'More detail on stderr (repeat for more)'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand update" -s q -l quiet -d 'Only errors on stderr'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand update" -l volatile-keyring -d 'Keep new secrets in the Linux kernel keyring instead of the Secret Service: in the process\'s session keyring, or the user keyring when it has no session keyring of its own (never the persistent keyring). Works headless, but the keys are lost on reboot (or when the session ends), and with them the devices they own: see `keys export`'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand update" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand update" -s V -l version -d 'Print version'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand login" -l profile -d 'The cloud profile' -r
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand login" -l hub -d 'The plgd hub (its base URL, or the hub-configuration URL itself)' -r
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand login" -l issuer -d 'The OAuth 2.0 / OpenID Connect issuer (without a hub)' -r
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand login" -l client-id -d 'The OAuth client to log in with (with --hub: instead of the hub\'s web or m2m client)' -r
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand login" -l audience -d 'The audience (API) the access tokens are for; sent as `audience` and, when a URI, as `resource`' -r
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand login" -l scope -d 'A scope to ask for; repeatable [default: the hub client\'s scopes, or openid offline_access]' -r
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand login" -l cis -d 'The cloud\'s CoAP gateway for devices (coapcloudconf cis), e.g. coaps+tcp://cloud.example:5684' -r
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand login" -l sid -d 'The cloud\'s id (coapcloudconf sid), a UUID' -r
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand login" -l apn -d 'The cloud\'s authorization provider name (coapcloudconf apn)' -r
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand login" -l ca -d 'A CA certificate (PEM) trusted for HTTPS to the hub and OAuth server; without a hub, also the cloud\'s trust anchor for devices' -r -F
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand login" -l device-redirect-uri -d 'The redirect URI of the hub\'s device OAuth client (the coap-gateway\'s redirect URL) [default: from the hub, else <hub>/devices as plgd\'s UI]' -r
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand login" -l timeout -d 'How long to wait for one device before giving up (e.g. 10s, 500ms)' -r
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand login" -l state-dir -d 'Where the mediator keeps its state (owned devices, cloud profiles, its own UUID). Default: $XDG_DATA_HOME/ocf-mediator (~/.local/share/ocf-mediator). Owner keys are kept there only sealed, under a key that only the keyring holds' -r -F
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand login" -l device-code -d 'Device code flow (RFC 8628): a code to enter on another device\'s browser'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand login" -l browser -d 'Authorization code flow with PKCE and a loopback redirect (RFC 8252)'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand login" -l client-credentials -d 'Client credentials flow (no person; for factory lines)'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand login" -l client-secret-stdin -d 'Read the client secret from stdin (with --client-credentials)'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand login" -l json -d 'Print one JSON object per line on stdout instead of text for people'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand login" -l no-input -d 'Never prompt; implied when stdin is not a terminal'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand login" -s v -l verbose -d 'More detail on stderr (repeat for more)'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand login" -s q -l quiet -d 'Only errors on stderr'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand login" -l volatile-keyring -d 'Keep new secrets in the Linux kernel keyring instead of the Secret Service: in the process\'s session keyring, or the user keyring when it has no session keyring of its own (never the persistent keyring). Works headless, but the keys are lost on reboot (or when the session ends), and with them the devices they own: see `keys export`'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand login" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand login" -s V -l version -d 'Print version'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand logout" -l profile -d 'The cloud profile' -r
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand logout" -l timeout -d 'How long to wait for one device before giving up (e.g. 10s, 500ms)' -r
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand logout" -l state-dir -d 'Where the mediator keeps its state (owned devices, cloud profiles, its own UUID). Default: $XDG_DATA_HOME/ocf-mediator (~/.local/share/ocf-mediator). Owner keys are kept there only sealed, under a key that only the keyring holds' -r -F
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand logout" -l json -d 'Print one JSON object per line on stdout instead of text for people'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand logout" -l no-input -d 'Never prompt; implied when stdin is not a terminal'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand logout" -s v -l verbose -d 'More detail on stderr (repeat for more)'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand logout" -s q -l quiet -d 'Only errors on stderr'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand logout" -l volatile-keyring -d 'Keep new secrets in the Linux kernel keyring instead of the Secret Service: in the process\'s session keyring, or the user keyring when it has no session keyring of its own (never the persistent keyring). Works headless, but the keys are lost on reboot (or when the session ends), and with them the devices they own: see `keys export`'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand logout" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand logout" -s V -l version -d 'Print version'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand profiles" -l timeout -d 'How long to wait for one device before giving up (e.g. 10s, 500ms)' -r
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand profiles" -l state-dir -d 'Where the mediator keeps its state (owned devices, cloud profiles, its own UUID). Default: $XDG_DATA_HOME/ocf-mediator (~/.local/share/ocf-mediator). Owner keys are kept there only sealed, under a key that only the keyring holds' -r -F
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand profiles" -l json -d 'Print one JSON object per line on stdout instead of text for people'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand profiles" -l no-input -d 'Never prompt; implied when stdin is not a terminal'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand profiles" -s v -l verbose -d 'More detail on stderr (repeat for more)'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand profiles" -s q -l quiet -d 'Only errors on stderr'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand profiles" -l volatile-keyring -d 'Keep new secrets in the Linux kernel keyring instead of the Secret Service: in the process\'s session keyring, or the user keyring when it has no session keyring of its own (never the persistent keyring). Works headless, but the keys are lost on reboot (or when the session ends), and with them the devices they own: see `keys export`'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand profiles" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand profiles" -s V -l version -d 'Print version'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand token" -l profile -d 'The cloud profile' -r
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand token" -l device -d 'The device the token or code is for (its di); needed for authorization-code hubs' -r
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand token" -l timeout -d 'How long to wait for one device before giving up (e.g. 10s, 500ms)' -r
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand token" -l state-dir -d 'Where the mediator keeps its state (owned devices, cloud profiles, its own UUID). Default: $XDG_DATA_HOME/ocf-mediator (~/.local/share/ocf-mediator). Owner keys are kept there only sealed, under a key that only the keyring holds' -r -F
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand token" -l json -d 'Print one JSON object per line on stdout instead of text for people'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand token" -l no-input -d 'Never prompt; implied when stdin is not a terminal'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand token" -s v -l verbose -d 'More detail on stderr (repeat for more)'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand token" -s q -l quiet -d 'Only errors on stderr'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand token" -l volatile-keyring -d 'Keep new secrets in the Linux kernel keyring instead of the Secret Service: in the process\'s session keyring, or the user keyring when it has no session keyring of its own (never the persistent keyring). Works headless, but the keys are lost on reboot (or when the session ends), and with them the devices they own: see `keys export`'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand token" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand token" -s V -l version -d 'Print version'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand own" -l otm -d 'Ownership transfer method; auto picks mfg when --mfg-ca is given, else jw, else rdp' -r -f -a "auto\t'From the device\'s offer: mfg with --mfg-ca, else jw, else rdp'
jw\t'Just Works (anonymous; anyone on the link could own the device)'
rdp\t'Random PIN shown by the device'
mfg\t'Manufacturer certificate'"
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand own" -l mfg-ca -d 'Trust anchors (PEM) for manufacturer certificates; repeatable' -r -F
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand own" -l timeout -d 'How long to wait for one device before giving up (e.g. 10s, 500ms)' -r
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand own" -l state-dir -d 'Where the mediator keeps its state (owned devices, cloud profiles, its own UUID). Default: $XDG_DATA_HOME/ocf-mediator (~/.local/share/ocf-mediator). Owner keys are kept there only sealed, under a key that only the keyring holds' -r -F
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand own" -l pin-stdin -d 'Read the Random PIN from stdin instead of prompting for it'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand own" -l json -d 'Print one JSON object per line on stdout instead of text for people'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand own" -l no-input -d 'Never prompt; implied when stdin is not a terminal'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand own" -s v -l verbose -d 'More detail on stderr (repeat for more)'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand own" -s q -l quiet -d 'Only errors on stderr'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand own" -l volatile-keyring -d 'Keep new secrets in the Linux kernel keyring instead of the Secret Service: in the process\'s session keyring, or the user keyring when it has no session keyring of its own (never the persistent keyring). Works headless, but the keys are lost on reboot (or when the session ends), and with them the devices they own: see `keys export`'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand own" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand own" -s V -l version -d 'Print version'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand disown" -l timeout -d 'How long to wait for one device before giving up (e.g. 10s, 500ms)' -r
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand disown" -l state-dir -d 'Where the mediator keeps its state (owned devices, cloud profiles, its own UUID). Default: $XDG_DATA_HOME/ocf-mediator (~/.local/share/ocf-mediator). Owner keys are kept there only sealed, under a key that only the keyring holds' -r -F
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand disown" -l forget -d 'Do not talk to the device: only drop its entry and its key. For a device that is gone for good (broken, replaced, reset at the device), or an entry left by an ownership that never reached it'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand disown" -l json -d 'Print one JSON object per line on stdout instead of text for people'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand disown" -l no-input -d 'Never prompt; implied when stdin is not a terminal'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand disown" -s v -l verbose -d 'More detail on stderr (repeat for more)'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand disown" -s q -l quiet -d 'Only errors on stderr'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand disown" -l volatile-keyring -d 'Keep new secrets in the Linux kernel keyring instead of the Secret Service: in the process\'s session keyring, or the user keyring when it has no session keyring of its own (never the persistent keyring). Works headless, but the keys are lost on reboot (or when the session ends), and with them the devices they own: see `keys export`'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand disown" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand disown" -s V -l version -d 'Print version'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand devices" -l timeout -d 'How long to wait for one device before giving up (e.g. 10s, 500ms)' -r
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand devices" -l state-dir -d 'Where the mediator keeps its state (owned devices, cloud profiles, its own UUID). Default: $XDG_DATA_HOME/ocf-mediator (~/.local/share/ocf-mediator). Owner keys are kept there only sealed, under a key that only the keyring holds' -r -F
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand devices" -l json -d 'Print one JSON object per line on stdout instead of text for people'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand devices" -l no-input -d 'Never prompt; implied when stdin is not a terminal'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand devices" -s v -l verbose -d 'More detail on stderr (repeat for more)'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand devices" -s q -l quiet -d 'Only errors on stderr'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand devices" -l volatile-keyring -d 'Keep new secrets in the Linux kernel keyring instead of the Secret Service: in the process\'s session keyring, or the user keyring when it has no session keyring of its own (never the persistent keyring). Works headless, but the keys are lost on reboot (or when the session ends), and with them the devices they own: see `keys export`'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand devices" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand devices" -s V -l version -d 'Print version'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand keys; and not __fish_seen_subcommand_from export import help" -l timeout -d 'How long to wait for one device before giving up (e.g. 10s, 500ms)' -r
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand keys; and not __fish_seen_subcommand_from export import help" -l state-dir -d 'Where the mediator keeps its state (owned devices, cloud profiles, its own UUID). Default: $XDG_DATA_HOME/ocf-mediator (~/.local/share/ocf-mediator). Owner keys are kept there only sealed, under a key that only the keyring holds' -r -F
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand keys; and not __fish_seen_subcommand_from export import help" -l json -d 'Print one JSON object per line on stdout instead of text for people'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand keys; and not __fish_seen_subcommand_from export import help" -l no-input -d 'Never prompt; implied when stdin is not a terminal'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand keys; and not __fish_seen_subcommand_from export import help" -s v -l verbose -d 'More detail on stderr (repeat for more)'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand keys; and not __fish_seen_subcommand_from export import help" -s q -l quiet -d 'Only errors on stderr'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand keys; and not __fish_seen_subcommand_from export import help" -l volatile-keyring -d 'Keep new secrets in the Linux kernel keyring instead of the Secret Service: in the process\'s session keyring, or the user keyring when it has no session keyring of its own (never the persistent keyring). Works headless, but the keys are lost on reboot (or when the session ends), and with them the devices they own: see `keys export`'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand keys; and not __fish_seen_subcommand_from export import help" -s h -l help -d 'Print help'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand keys; and not __fish_seen_subcommand_from export import help" -s V -l version -d 'Print version'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand keys; and not __fish_seen_subcommand_from export import help" -f -a "export" -d 'Write the owner keys of all (or the selected) devices, with their records and the mediator\'s UUID, to FILE, sealed with a passphrase (scrypt and AES-256-GCM)'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand keys; and not __fish_seen_subcommand_from export import help" -f -a "import" -d 'Add the devices and owner keys of a file written by `keys export` to this mediator (sealed again under this store\'s key); devices already here with the same key are skipped, conflicts are reported (exit status 7)'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand keys; and not __fish_seen_subcommand_from export import help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand keys; and __fish_seen_subcommand_from export" -l out -d 'The file to write (created 0600; an existing file is kept unless --force)' -r -F
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand keys; and __fish_seen_subcommand_from export" -l device -d 'Export only this device (its UUID); repeatable [default: every device]' -r
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand keys; and __fish_seen_subcommand_from export" -l timeout -d 'How long to wait for one device before giving up (e.g. 10s, 500ms)' -r
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand keys; and __fish_seen_subcommand_from export" -l state-dir -d 'Where the mediator keeps its state (owned devices, cloud profiles, its own UUID). Default: $XDG_DATA_HOME/ocf-mediator (~/.local/share/ocf-mediator). Owner keys are kept there only sealed, under a key that only the keyring holds' -r -F
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand keys; and __fish_seen_subcommand_from export" -l force -d 'Replace FILE if it exists'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand keys; and __fish_seen_subcommand_from export" -l passphrase-stdin -d 'Read the passphrase from the first line of stdin instead of prompting (twice) for it'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand keys; and __fish_seen_subcommand_from export" -l json -d 'Print one JSON object per line on stdout instead of text for people'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand keys; and __fish_seen_subcommand_from export" -l no-input -d 'Never prompt; implied when stdin is not a terminal'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand keys; and __fish_seen_subcommand_from export" -s v -l verbose -d 'More detail on stderr (repeat for more)'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand keys; and __fish_seen_subcommand_from export" -s q -l quiet -d 'Only errors on stderr'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand keys; and __fish_seen_subcommand_from export" -l volatile-keyring -d 'Keep new secrets in the Linux kernel keyring instead of the Secret Service: in the process\'s session keyring, or the user keyring when it has no session keyring of its own (never the persistent keyring). Works headless, but the keys are lost on reboot (or when the session ends), and with them the devices they own: see `keys export`'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand keys; and __fish_seen_subcommand_from export" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand keys; and __fish_seen_subcommand_from export" -s V -l version -d 'Print version'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand keys; and __fish_seen_subcommand_from import" -l timeout -d 'How long to wait for one device before giving up (e.g. 10s, 500ms)' -r
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand keys; and __fish_seen_subcommand_from import" -l state-dir -d 'Where the mediator keeps its state (owned devices, cloud profiles, its own UUID). Default: $XDG_DATA_HOME/ocf-mediator (~/.local/share/ocf-mediator). Owner keys are kept there only sealed, under a key that only the keyring holds' -r -F
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand keys; and __fish_seen_subcommand_from import" -l passphrase-stdin -d 'Read the passphrase from the first line of stdin instead of prompting for it'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand keys; and __fish_seen_subcommand_from import" -l json -d 'Print one JSON object per line on stdout instead of text for people'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand keys; and __fish_seen_subcommand_from import" -l no-input -d 'Never prompt; implied when stdin is not a terminal'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand keys; and __fish_seen_subcommand_from import" -s v -l verbose -d 'More detail on stderr (repeat for more)'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand keys; and __fish_seen_subcommand_from import" -s q -l quiet -d 'Only errors on stderr'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand keys; and __fish_seen_subcommand_from import" -l volatile-keyring -d 'Keep new secrets in the Linux kernel keyring instead of the Secret Service: in the process\'s session keyring, or the user keyring when it has no session keyring of its own (never the persistent keyring). Works headless, but the keys are lost on reboot (or when the session ends), and with them the devices they own: see `keys export`'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand keys; and __fish_seen_subcommand_from import" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand keys; and __fish_seen_subcommand_from import" -s V -l version -d 'Print version'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand keys; and __fish_seen_subcommand_from help" -f -a "export" -d 'Write the owner keys of all (or the selected) devices, with their records and the mediator\'s UUID, to FILE, sealed with a passphrase (scrypt and AES-256-GCM)'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand keys; and __fish_seen_subcommand_from help" -f -a "import" -d 'Add the devices and owner keys of a file written by `keys export` to this mediator (sealed again under this store\'s key); devices already here with the same key are skipped, conflicts are reported (exit status 7)'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand keys; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand completions" -l timeout -d 'How long to wait for one device before giving up (e.g. 10s, 500ms)' -r
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand completions" -l state-dir -d 'Where the mediator keeps its state (owned devices, cloud profiles, its own UUID). Default: $XDG_DATA_HOME/ocf-mediator (~/.local/share/ocf-mediator). Owner keys are kept there only sealed, under a key that only the keyring holds' -r -F
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand completions" -l json -d 'Print one JSON object per line on stdout instead of text for people'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand completions" -l no-input -d 'Never prompt; implied when stdin is not a terminal'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand completions" -s v -l verbose -d 'More detail on stderr (repeat for more)'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand completions" -s q -l quiet -d 'Only errors on stderr'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand completions" -l volatile-keyring -d 'Keep new secrets in the Linux kernel keyring instead of the Secret Service: in the process\'s session keyring, or the user keyring when it has no session keyring of its own (never the persistent keyring). Works headless, but the keys are lost on reboot (or when the session ends), and with them the devices they own: see `keys export`'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand completions" -s h -l help -d 'Print help'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand completions" -s V -l version -d 'Print version'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand help; and not __fish_seen_subcommand_from discover get update login logout profiles token own disown devices keys completions help" -f -a "discover" -d 'Find OCF devices by multicast, or ask given addresses'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand help; and not __fish_seen_subcommand_from discover get update login logout profiles token own disown devices keys completions help" -f -a "get" -d 'Read a resource of a device and print its representation'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand help; and not __fish_seen_subcommand_from discover get update login logout profiles token own disown devices keys completions help" -f -a "update" -d 'Update a resource of a device: POST a JSON body as OCF CBOR'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand help; and not __fish_seen_subcommand_from discover get update login logout profiles token own disown devices keys completions help" -f -a "login" -d 'Log in to a cloud\'s OAuth server and save a cloud profile'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand help; and not __fish_seen_subcommand_from discover get update login logout profiles token own disown devices keys completions help" -f -a "logout" -d 'Revoke a cloud profile\'s tokens (where the server can) and delete the profile and its secrets'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand help; and not __fish_seen_subcommand_from discover get update login logout profiles token own disown devices keys completions help" -f -a "profiles" -d 'List the cloud profiles'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand help; and not __fish_seen_subcommand_from discover get update login logout profiles token own disown devices keys completions help" -f -a "token" -d 'Print what a device needs as its cloud access token (`at`) on stdout'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand help; and not __fish_seen_subcommand_from discover get update login logout profiles token own disown devices keys completions help" -f -a "own" -d 'Take ownership of a new device (Just Works, Random PIN or manufacturer certificate)'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand help; and not __fish_seen_subcommand_from discover get update login logout profiles token own disown devices keys completions help" -f -a "disown" -d 'Hard-reset a device this mediator owns and forget its owner key'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand help; and not __fish_seen_subcommand_from discover get update login logout profiles token own disown devices keys completions help" -f -a "devices" -d 'List the devices this mediator owns, and whether each owner key is in the keyring'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand help; and not __fish_seen_subcommand_from discover get update login logout profiles token own disown devices keys completions help" -f -a "keys" -d 'Export owner keys to a passphrase-sealed file, or import them (to replace a station)'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand help; and not __fish_seen_subcommand_from discover get update login logout profiles token own disown devices keys completions help" -f -a "completions" -d 'Print a shell completion script'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand help; and not __fish_seen_subcommand_from discover get update login logout profiles token own disown devices keys completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand help; and __fish_seen_subcommand_from keys" -f -a "export" -d 'Write the owner keys of all (or the selected) devices, with their records and the mediator\'s UUID, to FILE, sealed with a passphrase (scrypt and AES-256-GCM)'
complete -c ocf-mediator -n "__fish_ocf_mediator_using_subcommand help; and __fish_seen_subcommand_from keys" -f -a "import" -d 'Add the devices and owner keys of a file written by `keys export` to this mediator (sealed again under this store\'s key); devices already here with the same key are skipped, conflicts are reported (exit status 7)'
