
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
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'ocf-devsim;device' {
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Address and port of the (first) device; port 0 picks a free port. Default: every address, IPv6 and IPv4, on a free port')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'Number of devices to run, each with its own UUID and port')
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'Device name (/oic/d n); with --count, numbered')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Keep each device''s state in this directory across restarts')
            [CompletionResult]::new('--multicast-delay-ms', '--multicast-delay-ms', [CompletionResultType]::ParameterName, 'Delay multicast answers by a random time up to this many milliseconds (at most 60000)')
            [CompletionResult]::new('--otm', '--otm', [CompletionResultType]::ParameterName, 'Ownership transfer methods offered (doxm oxms), in this order')
            [CompletionResult]::new('--pin', '--pin', [CompletionResultType]::ParameterName, 'The Random PIN (8 digits). Default: a new random PIN each time the method is selected, shown on stderr as a real device displays it')
            [CompletionResult]::new('--mfg-cert', '--mfg-cert', [CompletionResultType]::ParameterName, 'Manufacturer certificate chain, PEM, leaf first (for --otm mfg)')
            [CompletionResult]::new('--mfg-key', '--mfg-key', [CompletionResultType]::ParameterName, 'The manufacturer certificate''s private key, PKCS#8 PEM (P-256)')
            [CompletionResult]::new('--reset-delay-ms', '--reset-delay-ms', [CompletionResultType]::ParameterName, 'How long after a hard reset request the device wipes itself, in milliseconds (at most 3600000, an hour)')
            [CompletionResult]::new('--session-idle-ms', '--session-idle-ms', [CompletionResultType]::ParameterName, 'Close DTLS sessions that are silent this many milliseconds (1 to 86400000, a day). A device ownership session that ends before the device leaves RFOTM is undone')
            [CompletionResult]::new('--no-multicast', '--no-multicast', [CompletionResultType]::ParameterName, 'Do not join the OCF multicast groups')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON line per device on startup: di, name, endpoints')
            [CompletionResult]::new('--reference-loopback-eps', '--reference-loopback-eps', [CompletionResultType]::ParameterName, 'List no eps to peers on loopback, exactly as the reference device (for the tests that compare with its captures)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'ocf-devsim;help' {
            [CompletionResult]::new('device', 'device', [CompletionResultType]::ParameterValue, 'Run one or more simulated, unowned OCF devices until SIGINT or SIGTERM')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'ocf-devsim;help;device' {
            break
        }
        'ocf-devsim;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
