
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'ocf-devsim' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'ocf-devsim'
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
        'ocf-devsim' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('device', 'device', [CompletionResultType]::ParameterValue, 'Run one or more simulated, unowned OCF devices until SIGINT or SIGTERM')
            [CompletionResult]::new('cloud', 'cloud', [CompletionResultType]::ParameterValue, 'Run a simulated OCF cloud (CoAP gateway and hub configuration) until SIGINT or SIGTERM')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'ocf-devsim;device' {
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Address and port of the (first) device; port 0 picks a free port. Default: every address, IPv6 and IPv4, on a free port')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'Number of devices to run, each with its own UUID and port')
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'Device name (/oic/d n); with --count, numbered')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Keep each device''s state in this directory across restarts')
            [CompletionResult]::new('--multicast-delay-ms', '--multicast-delay-ms', [CompletionResultType]::ParameterName, 'Delay multicast answers by a random time up to this many milliseconds')
            [CompletionResult]::new('--otm', '--otm', [CompletionResultType]::ParameterName, 'Ownership transfer methods offered (doxm oxms), in this order')
            [CompletionResult]::new('--pin', '--pin', [CompletionResultType]::ParameterName, 'The Random PIN (8 digits). Default: a new random PIN each time the method is selected, shown on stderr as a real device displays it')
            [CompletionResult]::new('--mfg-cert', '--mfg-cert', [CompletionResultType]::ParameterName, 'Manufacturer certificate chain, PEM, leaf first (for --otm mfg)')
            [CompletionResult]::new('--mfg-key', '--mfg-key', [CompletionResultType]::ParameterName, 'The manufacturer certificate''s private key, PKCS#8 PEM (P-256)')
            [CompletionResult]::new('--reset-delay-ms', '--reset-delay-ms', [CompletionResultType]::ParameterName, 'How long after a hard reset request the device wipes itself')
            [CompletionResult]::new('--session-idle-ms', '--session-idle-ms', [CompletionResultType]::ParameterName, 'Close DTLS sessions that are silent this long. A device ownership session that ends before the device leaves RFOTM is undone')
            [CompletionResult]::new('--no-multicast', '--no-multicast', [CompletionResultType]::ParameterName, 'Do not join the OCF multicast groups')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON line per device on startup: di, name, endpoints')
            [CompletionResult]::new('--reference-loopback-eps', '--reference-loopback-eps', [CompletionResultType]::ParameterName, 'List no eps to peers on loopback, exactly as the reference device (for the tests that compare with its captures)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'ocf-devsim;cloud' {
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'The CoAP gateway''s address (the devices'' cis); port 0 picks a free port')
            [CompletionResult]::new('--http-listen', '--http-listen', [CompletionResultType]::ParameterName, 'The HTTP address of the hub configuration and the CA; port 0 picks a free port')
            [CompletionResult]::new('--sid', '--sid', [CompletionResultType]::ParameterName, 'The cloud''s UUID (sid, and CN uuid:<sid> of its certificate). Default: a new one')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Keep the sid, the CA and the token key here across restarts; a second instance started on the same directory accepts the first''s tokens')
            [CompletionResult]::new('--authprovider', '--authprovider', [CompletionResultType]::ParameterName, 'Accepted authprovider names (the first one is the hub''s providerName)')
            [CompletionResult]::new('--expires-in', '--expires-in', [CompletionResultType]::ParameterName, 'Lifetime of the access tokens given to devices, in seconds (-1: permanent)')
            [CompletionResult]::new('--redirect-to', '--redirect-to', [CompletionResultType]::ParameterName, 'Send devices there after sign-up (redirecturi), e.g. to a second instance')
            [CompletionResult]::new('--issuer', '--issuer', [CompletionResultType]::ParameterName, 'The OAuth server (OIDC issuer) whose tokens and codes devices sign up with')
            [CompletionResult]::new('--audience', '--audience', [CompletionResultType]::ParameterName, 'The audience its access tokens must name')
            [CompletionResult]::new('--owner-claim', '--owner-claim', [CompletionResultType]::ParameterName, 'The claim that names a token''s owner (the devices'' uid)')
            [CompletionResult]::new('--client-id', '--client-id', [CompletionResultType]::ParameterName, 'The OAuth client that exchanges devices'' one-time codes')
            [CompletionResult]::new('--client-secret-file', '--client-secret-file', [CompletionResultType]::ParameterName, 'Read that client''s secret from this file')
            [CompletionResult]::new('--code-redirect-uri', '--code-redirect-uri', [CompletionResultType]::ParameterName, 'The redirect URI the codes were issued for (sent with each exchange)')
            [CompletionResult]::new('--device-client-id', '--device-client-id', [CompletionResultType]::ParameterName, 'The device OAuth client named in the hub configuration')
            [CompletionResult]::new('--m2m-client-id', '--m2m-client-id', [CompletionResultType]::ParameterName, 'The machine-to-machine OAuth client named in the hub configuration')
            [CompletionResult]::new('--web-client-id', '--web-client-id', [CompletionResultType]::ParameterName, 'The OAuth client people log in with, named in the hub configuration')
            [CompletionResult]::new('--no-tls', '--no-tls', [CompletionResultType]::ParameterName, 'Plain CoAP over TCP (coap+tcp), without TLS')
            [CompletionResult]::new('--require-client-cert', '--require-client-cert', [CompletionResultType]::ParameterName, 'Refuse devices without a certificate from this cloud''s CA; the device id of each is then bound to its certificate''s uuid:<di>')
            [CompletionResult]::new('--csm', '--csm', [CompletionResultType]::ParameterName, 'Send a CSM (7.01) first on every connection (real devices do not expect one)')
            [CompletionResult]::new('--client-secret-stdin', '--client-secret-stdin', [CompletionResultType]::ParameterName, 'Read that client''s secret from stdin')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'One JSON object per line on stdout: the startup line, then events')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'ocf-devsim;help' {
            [CompletionResult]::new('device', 'device', [CompletionResultType]::ParameterValue, 'Run one or more simulated, unowned OCF devices until SIGINT or SIGTERM')
            [CompletionResult]::new('cloud', 'cloud', [CompletionResultType]::ParameterValue, 'Run a simulated OCF cloud (CoAP gateway and hub configuration) until SIGINT or SIGTERM')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'ocf-devsim;help;device' {
            break
        }
        'ocf-devsim;help;cloud' {
            break
        }
        'ocf-devsim;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
