
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'ocf-mediator' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'ocf-mediator'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'ocf-mediator' {
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long to wait for one device before giving up (e.g. 10s, 500ms)')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where the mediator keeps its state (owned devices, cloud profiles, its own UUID). Default: $XDG_DATA_HOME/ocf-mediator (~/.local/share/ocf-mediator). Owner keys are kept there only sealed, under a key that only the keyring holds')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object per line on stdout instead of text for people')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; implied when stdin is not a terminal')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--volatile-keyring', '--volatile-keyring', [CompletionResultType]::ParameterName, 'Keep new secrets in the Linux kernel keyring instead of the Secret Service: in the process''s session keyring, or the user keyring when it has no session keyring of its own (never the persistent keyring). Works headless, but the keys are lost on reboot (or when the session ends), and with them the devices they own: see `keys export`')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('discover', 'discover', [CompletionResultType]::ParameterValue, 'Find OCF devices by multicast, or ask given addresses')
            [CompletionResult]::new('get', 'get', [CompletionResultType]::ParameterValue, 'Read a resource of a device and print its representation')
            [CompletionResult]::new('update', 'update', [CompletionResultType]::ParameterValue, 'Update a resource of a device: POST a JSON body as OCF CBOR')
            [CompletionResult]::new('login', 'login', [CompletionResultType]::ParameterValue, 'Log in to a cloud''s OAuth server and save a cloud profile')
            [CompletionResult]::new('logout', 'logout', [CompletionResultType]::ParameterValue, 'Revoke a cloud profile''s tokens (where the server can) and delete the profile and its secrets')
            [CompletionResult]::new('profiles', 'profiles', [CompletionResultType]::ParameterValue, 'List the cloud profiles')
            [CompletionResult]::new('token', 'token', [CompletionResultType]::ParameterValue, 'Print what a device needs as its cloud access token (`at`) on stdout')
            [CompletionResult]::new('own', 'own', [CompletionResultType]::ParameterValue, 'Take ownership of a new device (Just Works, Random PIN or manufacturer certificate)')
            [CompletionResult]::new('disown', 'disown', [CompletionResultType]::ParameterValue, 'Hard-reset a device this mediator owns and forget its owner key')
            [CompletionResult]::new('devices', 'devices', [CompletionResultType]::ParameterValue, 'List the devices this mediator owns, and whether each owner key is in the keyring')
            [CompletionResult]::new('keys', 'keys', [CompletionResultType]::ParameterValue, 'Export owner keys to a passphrase-sealed file, or import them (to replace a station)')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'ocf-mediator;discover' {
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'Ask this device directly (HOST[:PORT], coap://HOST:PORT); repeatable')
            [CompletionResult]::new('--address', '--address', [CompletionResultType]::ParameterName, 'Ask this device directly (HOST[:PORT], coap://HOST:PORT); repeatable')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'How long each multicast round listens')
            [CompletionResult]::new('--rounds', '--rounds', [CompletionResultType]::ParameterName, 'Multicast rounds; answers accumulate over rounds')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long to wait for one device before giving up (e.g. 10s, 500ms)')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where the mediator keeps its state (owned devices, cloud profiles, its own UUID). Default: $XDG_DATA_HOME/ocf-mediator (~/.local/share/ocf-mediator). Owner keys are kept there only sealed, under a key that only the keyring holds')
            [CompletionResult]::new('--owned', '--owned', [CompletionResultType]::ParameterName, 'Only devices that are owned')
            [CompletionResult]::new('--unowned', '--unowned', [CompletionResultType]::ParameterName, 'Only devices that are not owned yet')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object per line on stdout instead of text for people')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; implied when stdin is not a terminal')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--volatile-keyring', '--volatile-keyring', [CompletionResultType]::ParameterName, 'Keep new secrets in the Linux kernel keyring instead of the Secret Service: in the process''s session keyring, or the user keyring when it has no session keyring of its own (never the persistent keyring). Works headless, but the keys are lost on reboot (or when the session ends), and with them the devices they own: see `keys export`')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'ocf-mediator;get' {
            [CompletionResult]::new('--psk-identity', '--psk-identity', [CompletionResultType]::ParameterName, 'PSK identity: UTF-8 text, or uuid:<UUID> for the UUID''s 16 raw bytes (as OCF devices expect)')
            [CompletionResult]::new('--cert', '--cert', [CompletionResultType]::ParameterName, 'Our certificate chain (PEM), for mutual authentication with certificate suites')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'The private key (PEM, PKCS#8 or SEC1, P-256) of --cert')
            [CompletionResult]::new('--ca', '--ca', [CompletionResultType]::ParameterName, 'Trust anchors (PEM) that the device''s certificate chain must verify against; repeatable')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long to wait for one device before giving up (e.g. 10s, 500ms)')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where the mediator keeps its state (owned devices, cloud profiles, its own UUID). Default: $XDG_DATA_HOME/ocf-mediator (~/.local/share/ocf-mediator). Owner keys are kept there only sealed, under a key that only the keyring holds')
            [CompletionResult]::new('--psk-stdin', '--psk-stdin', [CompletionResultType]::ParameterName, 'Read the pre-shared key from stdin, as hex')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object per line on stdout instead of text for people')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; implied when stdin is not a terminal')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--volatile-keyring', '--volatile-keyring', [CompletionResultType]::ParameterName, 'Keep new secrets in the Linux kernel keyring instead of the Secret Service: in the process''s session keyring, or the user keyring when it has no session keyring of its own (never the persistent keyring). Works headless, but the keys are lost on reboot (or when the session ends), and with them the devices they own: see `keys export`')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'ocf-mediator;update' {
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'The body as JSON; @FILE reads it from a file, - from stdin')
            [CompletionResult]::new('--data', '--data', [CompletionResultType]::ParameterName, 'The body as JSON; @FILE reads it from a file, - from stdin')
            [CompletionResult]::new('--psk-identity', '--psk-identity', [CompletionResultType]::ParameterName, 'PSK identity: UTF-8 text, or uuid:<UUID> for the UUID''s 16 raw bytes (as OCF devices expect)')
            [CompletionResult]::new('--cert', '--cert', [CompletionResultType]::ParameterName, 'Our certificate chain (PEM), for mutual authentication with certificate suites')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'The private key (PEM, PKCS#8 or SEC1, P-256) of --cert')
            [CompletionResult]::new('--ca', '--ca', [CompletionResultType]::ParameterName, 'Trust anchors (PEM) that the device''s certificate chain must verify against; repeatable')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long to wait for one device before giving up (e.g. 10s, 500ms)')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where the mediator keeps its state (owned devices, cloud profiles, its own UUID). Default: $XDG_DATA_HOME/ocf-mediator (~/.local/share/ocf-mediator). Owner keys are kept there only sealed, under a key that only the keyring holds')
            [CompletionResult]::new('--psk-stdin', '--psk-stdin', [CompletionResultType]::ParameterName, 'Read the pre-shared key from stdin, as hex')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object per line on stdout instead of text for people')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; implied when stdin is not a terminal')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--volatile-keyring', '--volatile-keyring', [CompletionResultType]::ParameterName, 'Keep new secrets in the Linux kernel keyring instead of the Secret Service: in the process''s session keyring, or the user keyring when it has no session keyring of its own (never the persistent keyring). Works headless, but the keys are lost on reboot (or when the session ends), and with them the devices they own: see `keys export`')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'ocf-mediator;login' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'The cloud profile')
            [CompletionResult]::new('--hub', '--hub', [CompletionResultType]::ParameterName, 'The plgd hub (its base URL, or the hub-configuration URL itself)')
            [CompletionResult]::new('--issuer', '--issuer', [CompletionResultType]::ParameterName, 'The OAuth 2.0 / OpenID Connect issuer (without a hub)')
            [CompletionResult]::new('--client-id', '--client-id', [CompletionResultType]::ParameterName, 'The OAuth client to log in with (with --hub: instead of the hub''s web or m2m client)')
            [CompletionResult]::new('--audience', '--audience', [CompletionResultType]::ParameterName, 'The audience (API) the access tokens are for; sent as `audience` and, when a URI, as `resource`')
            [CompletionResult]::new('--scope', '--scope', [CompletionResultType]::ParameterName, 'A scope to ask for; repeatable [default: the hub client''s scopes, or openid offline_access]')
            [CompletionResult]::new('--cis', '--cis', [CompletionResultType]::ParameterName, 'The cloud''s CoAP gateway for devices (coapcloudconf cis), e.g. coaps+tcp://cloud.example:5684')
            [CompletionResult]::new('--sid', '--sid', [CompletionResultType]::ParameterName, 'The cloud''s id (coapcloudconf sid), a UUID')
            [CompletionResult]::new('--apn', '--apn', [CompletionResultType]::ParameterName, 'The cloud''s authorization provider name (coapcloudconf apn)')
            [CompletionResult]::new('--ca', '--ca', [CompletionResultType]::ParameterName, 'A CA certificate (PEM) trusted for HTTPS to the hub and OAuth server; without a hub, also the cloud''s trust anchor for devices')
            [CompletionResult]::new('--device-redirect-uri', '--device-redirect-uri', [CompletionResultType]::ParameterName, 'The redirect URI of the hub''s device OAuth client (the coap-gateway''s redirect URL) [default: from the hub, else <hub>/devices as plgd''s UI]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long to wait for one device before giving up (e.g. 10s, 500ms)')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where the mediator keeps its state (owned devices, cloud profiles, its own UUID). Default: $XDG_DATA_HOME/ocf-mediator (~/.local/share/ocf-mediator). Owner keys are kept there only sealed, under a key that only the keyring holds')
            [CompletionResult]::new('--device-code', '--device-code', [CompletionResultType]::ParameterName, 'Device code flow (RFC 8628): a code to enter on another device''s browser')
            [CompletionResult]::new('--browser', '--browser', [CompletionResultType]::ParameterName, 'Authorization code flow with PKCE and a loopback redirect (RFC 8252)')
            [CompletionResult]::new('--client-credentials', '--client-credentials', [CompletionResultType]::ParameterName, 'Client credentials flow (no person; for factory lines)')
            [CompletionResult]::new('--client-secret-stdin', '--client-secret-stdin', [CompletionResultType]::ParameterName, 'Read the client secret from stdin (with --client-credentials)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object per line on stdout instead of text for people')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; implied when stdin is not a terminal')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--volatile-keyring', '--volatile-keyring', [CompletionResultType]::ParameterName, 'Keep new secrets in the Linux kernel keyring instead of the Secret Service: in the process''s session keyring, or the user keyring when it has no session keyring of its own (never the persistent keyring). Works headless, but the keys are lost on reboot (or when the session ends), and with them the devices they own: see `keys export`')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'ocf-mediator;logout' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'The cloud profile')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long to wait for one device before giving up (e.g. 10s, 500ms)')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where the mediator keeps its state (owned devices, cloud profiles, its own UUID). Default: $XDG_DATA_HOME/ocf-mediator (~/.local/share/ocf-mediator). Owner keys are kept there only sealed, under a key that only the keyring holds')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object per line on stdout instead of text for people')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; implied when stdin is not a terminal')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--volatile-keyring', '--volatile-keyring', [CompletionResultType]::ParameterName, 'Keep new secrets in the Linux kernel keyring instead of the Secret Service: in the process''s session keyring, or the user keyring when it has no session keyring of its own (never the persistent keyring). Works headless, but the keys are lost on reboot (or when the session ends), and with them the devices they own: see `keys export`')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'ocf-mediator;profiles' {
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long to wait for one device before giving up (e.g. 10s, 500ms)')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where the mediator keeps its state (owned devices, cloud profiles, its own UUID). Default: $XDG_DATA_HOME/ocf-mediator (~/.local/share/ocf-mediator). Owner keys are kept there only sealed, under a key that only the keyring holds')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object per line on stdout instead of text for people')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; implied when stdin is not a terminal')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--volatile-keyring', '--volatile-keyring', [CompletionResultType]::ParameterName, 'Keep new secrets in the Linux kernel keyring instead of the Secret Service: in the process''s session keyring, or the user keyring when it has no session keyring of its own (never the persistent keyring). Works headless, but the keys are lost on reboot (or when the session ends), and with them the devices they own: see `keys export`')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'ocf-mediator;token' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'The cloud profile')
            [CompletionResult]::new('--device', '--device', [CompletionResultType]::ParameterName, 'The device the token or code is for (its di); needed for authorization-code hubs')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long to wait for one device before giving up (e.g. 10s, 500ms)')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where the mediator keeps its state (owned devices, cloud profiles, its own UUID). Default: $XDG_DATA_HOME/ocf-mediator (~/.local/share/ocf-mediator). Owner keys are kept there only sealed, under a key that only the keyring holds')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object per line on stdout instead of text for people')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; implied when stdin is not a terminal')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--volatile-keyring', '--volatile-keyring', [CompletionResultType]::ParameterName, 'Keep new secrets in the Linux kernel keyring instead of the Secret Service: in the process''s session keyring, or the user keyring when it has no session keyring of its own (never the persistent keyring). Works headless, but the keys are lost on reboot (or when the session ends), and with them the devices they own: see `keys export`')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'ocf-mediator;own' {
            [CompletionResult]::new('--otm', '--otm', [CompletionResultType]::ParameterName, 'Ownership transfer method; auto picks mfg when --mfg-ca is given, else jw, else rdp')
            [CompletionResult]::new('--mfg-ca', '--mfg-ca', [CompletionResultType]::ParameterName, 'Trust anchors (PEM) for manufacturer certificates; repeatable')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long to wait for one device before giving up (e.g. 10s, 500ms)')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where the mediator keeps its state (owned devices, cloud profiles, its own UUID). Default: $XDG_DATA_HOME/ocf-mediator (~/.local/share/ocf-mediator). Owner keys are kept there only sealed, under a key that only the keyring holds')
            [CompletionResult]::new('--pin-stdin', '--pin-stdin', [CompletionResultType]::ParameterName, 'Read the Random PIN from stdin instead of prompting for it')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object per line on stdout instead of text for people')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; implied when stdin is not a terminal')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--volatile-keyring', '--volatile-keyring', [CompletionResultType]::ParameterName, 'Keep new secrets in the Linux kernel keyring instead of the Secret Service: in the process''s session keyring, or the user keyring when it has no session keyring of its own (never the persistent keyring). Works headless, but the keys are lost on reboot (or when the session ends), and with them the devices they own: see `keys export`')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'ocf-mediator;disown' {
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long to wait for one device before giving up (e.g. 10s, 500ms)')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where the mediator keeps its state (owned devices, cloud profiles, its own UUID). Default: $XDG_DATA_HOME/ocf-mediator (~/.local/share/ocf-mediator). Owner keys are kept there only sealed, under a key that only the keyring holds')
            [CompletionResult]::new('--forget', '--forget', [CompletionResultType]::ParameterName, 'Do not talk to the device: only drop its entry and its key. For a device that is gone for good (broken, replaced, reset at the device), or an entry left by an ownership that never reached it')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object per line on stdout instead of text for people')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; implied when stdin is not a terminal')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--volatile-keyring', '--volatile-keyring', [CompletionResultType]::ParameterName, 'Keep new secrets in the Linux kernel keyring instead of the Secret Service: in the process''s session keyring, or the user keyring when it has no session keyring of its own (never the persistent keyring). Works headless, but the keys are lost on reboot (or when the session ends), and with them the devices they own: see `keys export`')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'ocf-mediator;devices' {
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long to wait for one device before giving up (e.g. 10s, 500ms)')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where the mediator keeps its state (owned devices, cloud profiles, its own UUID). Default: $XDG_DATA_HOME/ocf-mediator (~/.local/share/ocf-mediator). Owner keys are kept there only sealed, under a key that only the keyring holds')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object per line on stdout instead of text for people')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; implied when stdin is not a terminal')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--volatile-keyring', '--volatile-keyring', [CompletionResultType]::ParameterName, 'Keep new secrets in the Linux kernel keyring instead of the Secret Service: in the process''s session keyring, or the user keyring when it has no session keyring of its own (never the persistent keyring). Works headless, but the keys are lost on reboot (or when the session ends), and with them the devices they own: see `keys export`')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'ocf-mediator;keys' {
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long to wait for one device before giving up (e.g. 10s, 500ms)')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where the mediator keeps its state (owned devices, cloud profiles, its own UUID). Default: $XDG_DATA_HOME/ocf-mediator (~/.local/share/ocf-mediator). Owner keys are kept there only sealed, under a key that only the keyring holds')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object per line on stdout instead of text for people')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; implied when stdin is not a terminal')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--volatile-keyring', '--volatile-keyring', [CompletionResultType]::ParameterName, 'Keep new secrets in the Linux kernel keyring instead of the Secret Service: in the process''s session keyring, or the user keyring when it has no session keyring of its own (never the persistent keyring). Works headless, but the keys are lost on reboot (or when the session ends), and with them the devices they own: see `keys export`')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Write the owner keys of all (or the selected) devices, with their records and the mediator''s UUID, to FILE, sealed with a passphrase (scrypt and AES-256-GCM)')
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Add the devices and owner keys of a file written by `keys export` to this mediator (sealed again under this store''s key); devices already here with the same key are skipped, conflicts are reported (exit status 7)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'ocf-mediator;keys;export' {
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'The file to write (created 0600; an existing file is kept unless --force)')
            [CompletionResult]::new('--device', '--device', [CompletionResultType]::ParameterName, 'Export only this device (its UUID); repeatable [default: every device]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long to wait for one device before giving up (e.g. 10s, 500ms)')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where the mediator keeps its state (owned devices, cloud profiles, its own UUID). Default: $XDG_DATA_HOME/ocf-mediator (~/.local/share/ocf-mediator). Owner keys are kept there only sealed, under a key that only the keyring holds')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace FILE if it exists')
            [CompletionResult]::new('--passphrase-stdin', '--passphrase-stdin', [CompletionResultType]::ParameterName, 'Read the passphrase from the first line of stdin instead of prompting (twice) for it')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object per line on stdout instead of text for people')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; implied when stdin is not a terminal')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--volatile-keyring', '--volatile-keyring', [CompletionResultType]::ParameterName, 'Keep new secrets in the Linux kernel keyring instead of the Secret Service: in the process''s session keyring, or the user keyring when it has no session keyring of its own (never the persistent keyring). Works headless, but the keys are lost on reboot (or when the session ends), and with them the devices they own: see `keys export`')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'ocf-mediator;keys;import' {
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long to wait for one device before giving up (e.g. 10s, 500ms)')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where the mediator keeps its state (owned devices, cloud profiles, its own UUID). Default: $XDG_DATA_HOME/ocf-mediator (~/.local/share/ocf-mediator). Owner keys are kept there only sealed, under a key that only the keyring holds')
            [CompletionResult]::new('--passphrase-stdin', '--passphrase-stdin', [CompletionResultType]::ParameterName, 'Read the passphrase from the first line of stdin instead of prompting for it')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object per line on stdout instead of text for people')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; implied when stdin is not a terminal')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--volatile-keyring', '--volatile-keyring', [CompletionResultType]::ParameterName, 'Keep new secrets in the Linux kernel keyring instead of the Secret Service: in the process''s session keyring, or the user keyring when it has no session keyring of its own (never the persistent keyring). Works headless, but the keys are lost on reboot (or when the session ends), and with them the devices they own: see `keys export`')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'ocf-mediator;keys;help' {
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Write the owner keys of all (or the selected) devices, with their records and the mediator''s UUID, to FILE, sealed with a passphrase (scrypt and AES-256-GCM)')
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Add the devices and owner keys of a file written by `keys export` to this mediator (sealed again under this store''s key); devices already here with the same key are skipped, conflicts are reported (exit status 7)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'ocf-mediator;keys;help;export' {
            break
        }
        'ocf-mediator;keys;help;import' {
            break
        }
        'ocf-mediator;keys;help;help' {
            break
        }
        'ocf-mediator;completions' {
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long to wait for one device before giving up (e.g. 10s, 500ms)')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where the mediator keeps its state (owned devices, cloud profiles, its own UUID). Default: $XDG_DATA_HOME/ocf-mediator (~/.local/share/ocf-mediator). Owner keys are kept there only sealed, under a key that only the keyring holds')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object per line on stdout instead of text for people')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; implied when stdin is not a terminal')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--volatile-keyring', '--volatile-keyring', [CompletionResultType]::ParameterName, 'Keep new secrets in the Linux kernel keyring instead of the Secret Service: in the process''s session keyring, or the user keyring when it has no session keyring of its own (never the persistent keyring). Works headless, but the keys are lost on reboot (or when the session ends), and with them the devices they own: see `keys export`')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'ocf-mediator;help' {
            [CompletionResult]::new('discover', 'discover', [CompletionResultType]::ParameterValue, 'Find OCF devices by multicast, or ask given addresses')
            [CompletionResult]::new('get', 'get', [CompletionResultType]::ParameterValue, 'Read a resource of a device and print its representation')
            [CompletionResult]::new('update', 'update', [CompletionResultType]::ParameterValue, 'Update a resource of a device: POST a JSON body as OCF CBOR')
            [CompletionResult]::new('login', 'login', [CompletionResultType]::ParameterValue, 'Log in to a cloud''s OAuth server and save a cloud profile')
            [CompletionResult]::new('logout', 'logout', [CompletionResultType]::ParameterValue, 'Revoke a cloud profile''s tokens (where the server can) and delete the profile and its secrets')
            [CompletionResult]::new('profiles', 'profiles', [CompletionResultType]::ParameterValue, 'List the cloud profiles')
            [CompletionResult]::new('token', 'token', [CompletionResultType]::ParameterValue, 'Print what a device needs as its cloud access token (`at`) on stdout')
            [CompletionResult]::new('own', 'own', [CompletionResultType]::ParameterValue, 'Take ownership of a new device (Just Works, Random PIN or manufacturer certificate)')
            [CompletionResult]::new('disown', 'disown', [CompletionResultType]::ParameterValue, 'Hard-reset a device this mediator owns and forget its owner key')
            [CompletionResult]::new('devices', 'devices', [CompletionResultType]::ParameterValue, 'List the devices this mediator owns, and whether each owner key is in the keyring')
            [CompletionResult]::new('keys', 'keys', [CompletionResultType]::ParameterValue, 'Export owner keys to a passphrase-sealed file, or import them (to replace a station)')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'ocf-mediator;help;discover' {
            break
        }
        'ocf-mediator;help;get' {
            break
        }
        'ocf-mediator;help;update' {
            break
        }
        'ocf-mediator;help;login' {
            break
        }
        'ocf-mediator;help;logout' {
            break
        }
        'ocf-mediator;help;profiles' {
            break
        }
        'ocf-mediator;help;token' {
            break
        }
        'ocf-mediator;help;own' {
            break
        }
        'ocf-mediator;help;disown' {
            break
        }
        'ocf-mediator;help;devices' {
            break
        }
        'ocf-mediator;help;keys' {
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Write the owner keys of all (or the selected) devices, with their records and the mediator''s UUID, to FILE, sealed with a passphrase (scrypt and AES-256-GCM)')
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Add the devices and owner keys of a file written by `keys export` to this mediator (sealed again under this store''s key); devices already here with the same key are skipped, conflicts are reported (exit status 7)')
            break
        }
        'ocf-mediator;help;keys;export' {
            break
        }
        'ocf-mediator;help;keys;import' {
            break
        }
        'ocf-mediator;help;completions' {
            break
        }
        'ocf-mediator;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
