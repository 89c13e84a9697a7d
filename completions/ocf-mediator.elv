
use builtin;
use str;

set edit:completion:arg-completer[ocf-mediator] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'ocf-mediator'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'ocf-mediator'= {
            cand --timeout 'How long to wait for one device before giving up (e.g. 10s, 500ms)'
            cand --state-dir 'Where the mediator keeps its state (owned devices, cloud profiles, its own UUID). Default: $XDG_DATA_HOME/ocf-mediator (~/.local/share/ocf-mediator). Owner keys are kept there only sealed, under a key that only the keyring holds'
            cand --json 'Print one JSON object per line on stdout instead of text for people'
            cand --no-input 'Never prompt; implied when stdin is not a terminal'
            cand -v 'More detail on stderr (repeat for more)'
            cand --verbose 'More detail on stderr (repeat for more)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand --volatile-keyring 'Keep new secrets in the Linux kernel keyring instead of the Secret Service: in the process''s session keyring, or the user keyring when it has no session keyring of its own (never the persistent keyring). Works headless, but the keys are lost on reboot (or when the session ends), and with them the devices they own: see `keys export`'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand discover 'Find OCF devices by multicast, or ask given addresses'
            cand get 'Read a resource of a device and print its representation'
            cand update 'Update a resource of a device: POST a JSON body as OCF CBOR'
            cand login 'Log in to a cloud''s OAuth server and save a cloud profile'
            cand logout 'Revoke a cloud profile''s tokens (where the server can) and delete the profile and its secrets'
            cand profiles 'List the cloud profiles'
            cand token 'Print what a device needs as its cloud access token (`at`) on stdout'
            cand own 'Take ownership of a new device (Just Works, Random PIN or manufacturer certificate)'
            cand disown 'Hard-reset a device this mediator owns and forget its owner key'
            cand devices 'List the devices this mediator owns, and whether each owner key is in the keyring'
            cand keys 'Export owner keys to a passphrase-sealed file, or import them (to replace a station)'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'ocf-mediator;discover'= {
            cand -a 'Ask this device directly (HOST[:PORT], coap://HOST:PORT); repeatable'
            cand --address 'Ask this device directly (HOST[:PORT], coap://HOST:PORT); repeatable'
            cand --wait 'How long each multicast round listens'
            cand --rounds 'Multicast rounds; answers accumulate over rounds'
            cand --timeout 'How long to wait for one device before giving up (e.g. 10s, 500ms)'
            cand --state-dir 'Where the mediator keeps its state (owned devices, cloud profiles, its own UUID). Default: $XDG_DATA_HOME/ocf-mediator (~/.local/share/ocf-mediator). Owner keys are kept there only sealed, under a key that only the keyring holds'
            cand --owned 'Only devices that are owned'
            cand --unowned 'Only devices that are not owned yet'
            cand --json 'Print one JSON object per line on stdout instead of text for people'
            cand --no-input 'Never prompt; implied when stdin is not a terminal'
            cand -v 'More detail on stderr (repeat for more)'
            cand --verbose 'More detail on stderr (repeat for more)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand --volatile-keyring 'Keep new secrets in the Linux kernel keyring instead of the Secret Service: in the process''s session keyring, or the user keyring when it has no session keyring of its own (never the persistent keyring). Works headless, but the keys are lost on reboot (or when the session ends), and with them the devices they own: see `keys export`'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'ocf-mediator;get'= {
            cand --psk-identity 'PSK identity: UTF-8 text, or uuid:<UUID> for the UUID''s 16 raw bytes (as OCF devices expect)'
            cand --cert 'Our certificate chain (PEM), for mutual authentication with certificate suites'
            cand --key 'The private key (PEM, PKCS#8 or SEC1, P-256) of --cert'
            cand --ca 'Trust anchors (PEM) that the device''s certificate chain must verify against; repeatable'
            cand --timeout 'How long to wait for one device before giving up (e.g. 10s, 500ms)'
            cand --state-dir 'Where the mediator keeps its state (owned devices, cloud profiles, its own UUID). Default: $XDG_DATA_HOME/ocf-mediator (~/.local/share/ocf-mediator). Owner keys are kept there only sealed, under a key that only the keyring holds'
            cand --psk-stdin 'Read the pre-shared key from stdin, as hex'
            cand --json 'Print one JSON object per line on stdout instead of text for people'
            cand --no-input 'Never prompt; implied when stdin is not a terminal'
            cand -v 'More detail on stderr (repeat for more)'
            cand --verbose 'More detail on stderr (repeat for more)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand --volatile-keyring 'Keep new secrets in the Linux kernel keyring instead of the Secret Service: in the process''s session keyring, or the user keyring when it has no session keyring of its own (never the persistent keyring). Works headless, but the keys are lost on reboot (or when the session ends), and with them the devices they own: see `keys export`'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'ocf-mediator;update'= {
            cand -d 'The body as JSON; @FILE reads it from a file, - from stdin'
            cand --data 'The body as JSON; @FILE reads it from a file, - from stdin'
            cand --psk-identity 'PSK identity: UTF-8 text, or uuid:<UUID> for the UUID''s 16 raw bytes (as OCF devices expect)'
            cand --cert 'Our certificate chain (PEM), for mutual authentication with certificate suites'
            cand --key 'The private key (PEM, PKCS#8 or SEC1, P-256) of --cert'
            cand --ca 'Trust anchors (PEM) that the device''s certificate chain must verify against; repeatable'
            cand --timeout 'How long to wait for one device before giving up (e.g. 10s, 500ms)'
            cand --state-dir 'Where the mediator keeps its state (owned devices, cloud profiles, its own UUID). Default: $XDG_DATA_HOME/ocf-mediator (~/.local/share/ocf-mediator). Owner keys are kept there only sealed, under a key that only the keyring holds'
            cand --psk-stdin 'Read the pre-shared key from stdin, as hex'
            cand --json 'Print one JSON object per line on stdout instead of text for people'
            cand --no-input 'Never prompt; implied when stdin is not a terminal'
            cand -v 'More detail on stderr (repeat for more)'
            cand --verbose 'More detail on stderr (repeat for more)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand --volatile-keyring 'Keep new secrets in the Linux kernel keyring instead of the Secret Service: in the process''s session keyring, or the user keyring when it has no session keyring of its own (never the persistent keyring). Works headless, but the keys are lost on reboot (or when the session ends), and with them the devices they own: see `keys export`'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'ocf-mediator;login'= {
            cand --profile 'The cloud profile'
            cand --hub 'The plgd hub (its base URL, or the hub-configuration URL itself)'
            cand --issuer 'The OAuth 2.0 / OpenID Connect issuer (without a hub)'
            cand --client-id 'The OAuth client to log in with (with --hub: instead of the hub''s web or m2m client)'
            cand --audience 'The audience (API) the access tokens are for; sent as `audience` and, when a URI, as `resource`'
            cand --scope 'A scope to ask for; repeatable [default: the hub client''s scopes, or openid offline_access]'
            cand --cis 'The cloud''s CoAP gateway for devices (coapcloudconf cis), e.g. coaps+tcp://cloud.example:5684'
            cand --sid 'The cloud''s id (coapcloudconf sid), a UUID'
            cand --apn 'The cloud''s authorization provider name (coapcloudconf apn)'
            cand --ca 'A CA certificate (PEM) trusted for HTTPS to the hub and OAuth server; without a hub, also the cloud''s trust anchor for devices'
            cand --device-redirect-uri 'The redirect URI of the hub''s device OAuth client (the coap-gateway''s redirect URL) [default: from the hub, else <hub>/devices as plgd''s UI]'
            cand --timeout 'How long to wait for one device before giving up (e.g. 10s, 500ms)'
            cand --state-dir 'Where the mediator keeps its state (owned devices, cloud profiles, its own UUID). Default: $XDG_DATA_HOME/ocf-mediator (~/.local/share/ocf-mediator). Owner keys are kept there only sealed, under a key that only the keyring holds'
            cand --device-code 'Device code flow (RFC 8628): a code to enter on another device''s browser'
            cand --browser 'Authorization code flow with PKCE and a loopback redirect (RFC 8252)'
            cand --client-credentials 'Client credentials flow (no person; for factory lines)'
            cand --client-secret-stdin 'Read the client secret from stdin (with --client-credentials)'
            cand --json 'Print one JSON object per line on stdout instead of text for people'
            cand --no-input 'Never prompt; implied when stdin is not a terminal'
            cand -v 'More detail on stderr (repeat for more)'
            cand --verbose 'More detail on stderr (repeat for more)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand --volatile-keyring 'Keep new secrets in the Linux kernel keyring instead of the Secret Service: in the process''s session keyring, or the user keyring when it has no session keyring of its own (never the persistent keyring). Works headless, but the keys are lost on reboot (or when the session ends), and with them the devices they own: see `keys export`'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'ocf-mediator;logout'= {
            cand --profile 'The cloud profile'
            cand --timeout 'How long to wait for one device before giving up (e.g. 10s, 500ms)'
            cand --state-dir 'Where the mediator keeps its state (owned devices, cloud profiles, its own UUID). Default: $XDG_DATA_HOME/ocf-mediator (~/.local/share/ocf-mediator). Owner keys are kept there only sealed, under a key that only the keyring holds'
            cand --json 'Print one JSON object per line on stdout instead of text for people'
            cand --no-input 'Never prompt; implied when stdin is not a terminal'
            cand -v 'More detail on stderr (repeat for more)'
            cand --verbose 'More detail on stderr (repeat for more)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand --volatile-keyring 'Keep new secrets in the Linux kernel keyring instead of the Secret Service: in the process''s session keyring, or the user keyring when it has no session keyring of its own (never the persistent keyring). Works headless, but the keys are lost on reboot (or when the session ends), and with them the devices they own: see `keys export`'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'ocf-mediator;profiles'= {
            cand --timeout 'How long to wait for one device before giving up (e.g. 10s, 500ms)'
            cand --state-dir 'Where the mediator keeps its state (owned devices, cloud profiles, its own UUID). Default: $XDG_DATA_HOME/ocf-mediator (~/.local/share/ocf-mediator). Owner keys are kept there only sealed, under a key that only the keyring holds'
            cand --json 'Print one JSON object per line on stdout instead of text for people'
            cand --no-input 'Never prompt; implied when stdin is not a terminal'
            cand -v 'More detail on stderr (repeat for more)'
            cand --verbose 'More detail on stderr (repeat for more)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand --volatile-keyring 'Keep new secrets in the Linux kernel keyring instead of the Secret Service: in the process''s session keyring, or the user keyring when it has no session keyring of its own (never the persistent keyring). Works headless, but the keys are lost on reboot (or when the session ends), and with them the devices they own: see `keys export`'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'ocf-mediator;token'= {
            cand --profile 'The cloud profile'
            cand --device 'The device the token or code is for (its di); needed for authorization-code hubs'
            cand --timeout 'How long to wait for one device before giving up (e.g. 10s, 500ms)'
            cand --state-dir 'Where the mediator keeps its state (owned devices, cloud profiles, its own UUID). Default: $XDG_DATA_HOME/ocf-mediator (~/.local/share/ocf-mediator). Owner keys are kept there only sealed, under a key that only the keyring holds'
            cand --json 'Print one JSON object per line on stdout instead of text for people'
            cand --no-input 'Never prompt; implied when stdin is not a terminal'
            cand -v 'More detail on stderr (repeat for more)'
            cand --verbose 'More detail on stderr (repeat for more)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand --volatile-keyring 'Keep new secrets in the Linux kernel keyring instead of the Secret Service: in the process''s session keyring, or the user keyring when it has no session keyring of its own (never the persistent keyring). Works headless, but the keys are lost on reboot (or when the session ends), and with them the devices they own: see `keys export`'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'ocf-mediator;own'= {
            cand --otm 'Ownership transfer method; auto picks mfg when --mfg-ca is given, else jw, else rdp'
            cand --mfg-ca 'Trust anchors (PEM) for manufacturer certificates; repeatable'
            cand --timeout 'How long to wait for one device before giving up (e.g. 10s, 500ms)'
            cand --state-dir 'Where the mediator keeps its state (owned devices, cloud profiles, its own UUID). Default: $XDG_DATA_HOME/ocf-mediator (~/.local/share/ocf-mediator). Owner keys are kept there only sealed, under a key that only the keyring holds'
            cand --pin-stdin 'Read the Random PIN from stdin instead of prompting for it'
            cand --json 'Print one JSON object per line on stdout instead of text for people'
            cand --no-input 'Never prompt; implied when stdin is not a terminal'
            cand -v 'More detail on stderr (repeat for more)'
            cand --verbose 'More detail on stderr (repeat for more)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand --volatile-keyring 'Keep new secrets in the Linux kernel keyring instead of the Secret Service: in the process''s session keyring, or the user keyring when it has no session keyring of its own (never the persistent keyring). Works headless, but the keys are lost on reboot (or when the session ends), and with them the devices they own: see `keys export`'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'ocf-mediator;disown'= {
            cand --timeout 'How long to wait for one device before giving up (e.g. 10s, 500ms)'
            cand --state-dir 'Where the mediator keeps its state (owned devices, cloud profiles, its own UUID). Default: $XDG_DATA_HOME/ocf-mediator (~/.local/share/ocf-mediator). Owner keys are kept there only sealed, under a key that only the keyring holds'
            cand --forget 'Do not talk to the device: only drop its entry and its key. For a device that is gone for good (broken, replaced, reset at the device), or an entry left by an ownership that never reached it'
            cand --json 'Print one JSON object per line on stdout instead of text for people'
            cand --no-input 'Never prompt; implied when stdin is not a terminal'
            cand -v 'More detail on stderr (repeat for more)'
            cand --verbose 'More detail on stderr (repeat for more)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand --volatile-keyring 'Keep new secrets in the Linux kernel keyring instead of the Secret Service: in the process''s session keyring, or the user keyring when it has no session keyring of its own (never the persistent keyring). Works headless, but the keys are lost on reboot (or when the session ends), and with them the devices they own: see `keys export`'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'ocf-mediator;devices'= {
            cand --timeout 'How long to wait for one device before giving up (e.g. 10s, 500ms)'
            cand --state-dir 'Where the mediator keeps its state (owned devices, cloud profiles, its own UUID). Default: $XDG_DATA_HOME/ocf-mediator (~/.local/share/ocf-mediator). Owner keys are kept there only sealed, under a key that only the keyring holds'
            cand --json 'Print one JSON object per line on stdout instead of text for people'
            cand --no-input 'Never prompt; implied when stdin is not a terminal'
            cand -v 'More detail on stderr (repeat for more)'
            cand --verbose 'More detail on stderr (repeat for more)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand --volatile-keyring 'Keep new secrets in the Linux kernel keyring instead of the Secret Service: in the process''s session keyring, or the user keyring when it has no session keyring of its own (never the persistent keyring). Works headless, but the keys are lost on reboot (or when the session ends), and with them the devices they own: see `keys export`'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'ocf-mediator;keys'= {
            cand --timeout 'How long to wait for one device before giving up (e.g. 10s, 500ms)'
            cand --state-dir 'Where the mediator keeps its state (owned devices, cloud profiles, its own UUID). Default: $XDG_DATA_HOME/ocf-mediator (~/.local/share/ocf-mediator). Owner keys are kept there only sealed, under a key that only the keyring holds'
            cand --json 'Print one JSON object per line on stdout instead of text for people'
            cand --no-input 'Never prompt; implied when stdin is not a terminal'
            cand -v 'More detail on stderr (repeat for more)'
            cand --verbose 'More detail on stderr (repeat for more)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand --volatile-keyring 'Keep new secrets in the Linux kernel keyring instead of the Secret Service: in the process''s session keyring, or the user keyring when it has no session keyring of its own (never the persistent keyring). Works headless, but the keys are lost on reboot (or when the session ends), and with them the devices they own: see `keys export`'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand export 'Write the owner keys of all (or the selected) devices, with their records and the mediator''s UUID, to FILE, sealed with a passphrase (scrypt and AES-256-GCM)'
            cand import 'Add the devices and owner keys of a file written by `keys export` to this mediator (sealed again under this store''s key); devices already here with the same key are skipped, conflicts are reported (exit status 7)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'ocf-mediator;keys;export'= {
            cand --out 'The file to write (created 0600; an existing file is kept unless --force)'
            cand --device 'Export only this device (its UUID); repeatable [default: every device]'
            cand --timeout 'How long to wait for one device before giving up (e.g. 10s, 500ms)'
            cand --state-dir 'Where the mediator keeps its state (owned devices, cloud profiles, its own UUID). Default: $XDG_DATA_HOME/ocf-mediator (~/.local/share/ocf-mediator). Owner keys are kept there only sealed, under a key that only the keyring holds'
            cand --force 'Replace FILE if it exists'
            cand --passphrase-stdin 'Read the passphrase from the first line of stdin instead of prompting (twice) for it'
            cand --json 'Print one JSON object per line on stdout instead of text for people'
            cand --no-input 'Never prompt; implied when stdin is not a terminal'
            cand -v 'More detail on stderr (repeat for more)'
            cand --verbose 'More detail on stderr (repeat for more)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand --volatile-keyring 'Keep new secrets in the Linux kernel keyring instead of the Secret Service: in the process''s session keyring, or the user keyring when it has no session keyring of its own (never the persistent keyring). Works headless, but the keys are lost on reboot (or when the session ends), and with them the devices they own: see `keys export`'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'ocf-mediator;keys;import'= {
            cand --timeout 'How long to wait for one device before giving up (e.g. 10s, 500ms)'
            cand --state-dir 'Where the mediator keeps its state (owned devices, cloud profiles, its own UUID). Default: $XDG_DATA_HOME/ocf-mediator (~/.local/share/ocf-mediator). Owner keys are kept there only sealed, under a key that only the keyring holds'
            cand --passphrase-stdin 'Read the passphrase from the first line of stdin instead of prompting for it'
            cand --json 'Print one JSON object per line on stdout instead of text for people'
            cand --no-input 'Never prompt; implied when stdin is not a terminal'
            cand -v 'More detail on stderr (repeat for more)'
            cand --verbose 'More detail on stderr (repeat for more)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand --volatile-keyring 'Keep new secrets in the Linux kernel keyring instead of the Secret Service: in the process''s session keyring, or the user keyring when it has no session keyring of its own (never the persistent keyring). Works headless, but the keys are lost on reboot (or when the session ends), and with them the devices they own: see `keys export`'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'ocf-mediator;keys;help'= {
            cand export 'Write the owner keys of all (or the selected) devices, with their records and the mediator''s UUID, to FILE, sealed with a passphrase (scrypt and AES-256-GCM)'
            cand import 'Add the devices and owner keys of a file written by `keys export` to this mediator (sealed again under this store''s key); devices already here with the same key are skipped, conflicts are reported (exit status 7)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'ocf-mediator;keys;help;export'= {
        }
        &'ocf-mediator;keys;help;import'= {
        }
        &'ocf-mediator;keys;help;help'= {
        }
        &'ocf-mediator;completions'= {
            cand --timeout 'How long to wait for one device before giving up (e.g. 10s, 500ms)'
            cand --state-dir 'Where the mediator keeps its state (owned devices, cloud profiles, its own UUID). Default: $XDG_DATA_HOME/ocf-mediator (~/.local/share/ocf-mediator). Owner keys are kept there only sealed, under a key that only the keyring holds'
            cand --json 'Print one JSON object per line on stdout instead of text for people'
            cand --no-input 'Never prompt; implied when stdin is not a terminal'
            cand -v 'More detail on stderr (repeat for more)'
            cand --verbose 'More detail on stderr (repeat for more)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand --volatile-keyring 'Keep new secrets in the Linux kernel keyring instead of the Secret Service: in the process''s session keyring, or the user keyring when it has no session keyring of its own (never the persistent keyring). Works headless, but the keys are lost on reboot (or when the session ends), and with them the devices they own: see `keys export`'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'ocf-mediator;help'= {
            cand discover 'Find OCF devices by multicast, or ask given addresses'
            cand get 'Read a resource of a device and print its representation'
            cand update 'Update a resource of a device: POST a JSON body as OCF CBOR'
            cand login 'Log in to a cloud''s OAuth server and save a cloud profile'
            cand logout 'Revoke a cloud profile''s tokens (where the server can) and delete the profile and its secrets'
            cand profiles 'List the cloud profiles'
            cand token 'Print what a device needs as its cloud access token (`at`) on stdout'
            cand own 'Take ownership of a new device (Just Works, Random PIN or manufacturer certificate)'
            cand disown 'Hard-reset a device this mediator owns and forget its owner key'
            cand devices 'List the devices this mediator owns, and whether each owner key is in the keyring'
            cand keys 'Export owner keys to a passphrase-sealed file, or import them (to replace a station)'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'ocf-mediator;help;discover'= {
        }
        &'ocf-mediator;help;get'= {
        }
        &'ocf-mediator;help;update'= {
        }
        &'ocf-mediator;help;login'= {
        }
        &'ocf-mediator;help;logout'= {
        }
        &'ocf-mediator;help;profiles'= {
        }
        &'ocf-mediator;help;token'= {
        }
        &'ocf-mediator;help;own'= {
        }
        &'ocf-mediator;help;disown'= {
        }
        &'ocf-mediator;help;devices'= {
        }
        &'ocf-mediator;help;keys'= {
            cand export 'Write the owner keys of all (or the selected) devices, with their records and the mediator''s UUID, to FILE, sealed with a passphrase (scrypt and AES-256-GCM)'
            cand import 'Add the devices and owner keys of a file written by `keys export` to this mediator (sealed again under this store''s key); devices already here with the same key are skipped, conflicts are reported (exit status 7)'
        }
        &'ocf-mediator;help;keys;export'= {
        }
        &'ocf-mediator;help;keys;import'= {
        }
        &'ocf-mediator;help;completions'= {
        }
        &'ocf-mediator;help;help'= {
        }
    ]
    $completions[$command]
}
