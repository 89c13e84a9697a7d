# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_ocf_devsim_global_optspecs
    string join \n h/help V/version
end

function __fish_ocf_devsim_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_ocf_devsim_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_ocf_devsim_using_subcommand
    set -l cmd (__fish_ocf_devsim_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c ocf-devsim -n "__fish_ocf_devsim_needs_command" -s h -l help -d 'Print help'
complete -c ocf-devsim -n "__fish_ocf_devsim_needs_command" -s V -l version -d 'Print version'
complete -c ocf-devsim -n "__fish_ocf_devsim_needs_command" -f -a "device" -d 'Run one or more simulated, unowned OCF devices until SIGINT or SIGTERM'
complete -c ocf-devsim -n "__fish_ocf_devsim_needs_command" -f -a "cloud" -d 'Run a simulated OCF cloud (CoAP gateway and hub configuration) until SIGINT or SIGTERM'
complete -c ocf-devsim -n "__fish_ocf_devsim_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c ocf-devsim -n "__fish_ocf_devsim_using_subcommand device" -l listen -d 'Address and port of the (first) device; port 0 picks a free port. Default: every address, IPv6 and IPv4, on a free port' -r
complete -c ocf-devsim -n "__fish_ocf_devsim_using_subcommand device" -l count -d 'Number of devices to run, each with its own UUID and port' -r
complete -c ocf-devsim -n "__fish_ocf_devsim_using_subcommand device" -l name -d 'Device name (/oic/d n); with --count, numbered' -r
complete -c ocf-devsim -n "__fish_ocf_devsim_using_subcommand device" -l state-dir -d 'Keep each device\'s state in this directory across restarts' -r -F
complete -c ocf-devsim -n "__fish_ocf_devsim_using_subcommand device" -l multicast-delay-ms -d 'Delay multicast answers by a random time up to this many milliseconds' -r
complete -c ocf-devsim -n "__fish_ocf_devsim_using_subcommand device" -l otm -d 'Ownership transfer methods offered (doxm oxms), in this order' -r -f -a "jw\t'Just Works (oxm 0): anonymous DTLS'
rdp\t'Random PIN (oxm 1): a PSK from the PIN the device shows'
mfg\t'Manufacturer certificate (oxm 2): needs --mfg-cert and --mfg-key'"
complete -c ocf-devsim -n "__fish_ocf_devsim_using_subcommand device" -l pin -d 'The Random PIN (8 digits). Default: a new random PIN each time the method is selected, shown on stderr as a real device displays it' -r
complete -c ocf-devsim -n "__fish_ocf_devsim_using_subcommand device" -l mfg-cert -d 'Manufacturer certificate chain, PEM, leaf first (for --otm mfg)' -r -F
complete -c ocf-devsim -n "__fish_ocf_devsim_using_subcommand device" -l mfg-key -d 'The manufacturer certificate\'s private key, PKCS#8 PEM (P-256)' -r -F
complete -c ocf-devsim -n "__fish_ocf_devsim_using_subcommand device" -l reset-delay-ms -d 'How long after a hard reset request the device wipes itself' -r
complete -c ocf-devsim -n "__fish_ocf_devsim_using_subcommand device" -l session-idle-ms -d 'Close DTLS sessions that are silent this long. A device ownership session that ends before the device leaves RFOTM is undone' -r
complete -c ocf-devsim -n "__fish_ocf_devsim_using_subcommand device" -l no-multicast -d 'Do not join the OCF multicast groups'
complete -c ocf-devsim -n "__fish_ocf_devsim_using_subcommand device" -l json -d 'Print one JSON line per device on startup: di, name, endpoints'
complete -c ocf-devsim -n "__fish_ocf_devsim_using_subcommand device" -l reference-loopback-eps -d 'List no eps to peers on loopback, exactly as the reference device (for the tests that compare with its captures)'
complete -c ocf-devsim -n "__fish_ocf_devsim_using_subcommand device" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ocf-devsim -n "__fish_ocf_devsim_using_subcommand device" -s V -l version -d 'Print version'
complete -c ocf-devsim -n "__fish_ocf_devsim_using_subcommand cloud" -l listen -d 'The CoAP gateway\'s address (the devices\' cis); port 0 picks a free port' -r
complete -c ocf-devsim -n "__fish_ocf_devsim_using_subcommand cloud" -l http-listen -d 'The HTTP address of the hub configuration and the CA; port 0 picks a free port' -r
complete -c ocf-devsim -n "__fish_ocf_devsim_using_subcommand cloud" -l sid -d 'The cloud\'s UUID (sid, and CN uuid:<sid> of its certificate). Default: a new one' -r
complete -c ocf-devsim -n "__fish_ocf_devsim_using_subcommand cloud" -l state-dir -d 'Keep the sid, the CA and the token key here across restarts; a second instance started on the same directory accepts the first\'s tokens' -r -F
complete -c ocf-devsim -n "__fish_ocf_devsim_using_subcommand cloud" -l authprovider -d 'Accepted authprovider names (the first one is the hub\'s providerName)' -r
complete -c ocf-devsim -n "__fish_ocf_devsim_using_subcommand cloud" -l expires-in -d 'Lifetime of the access tokens given to devices, in seconds (-1: permanent)' -r
complete -c ocf-devsim -n "__fish_ocf_devsim_using_subcommand cloud" -l redirect-to -d 'Send devices there after sign-up (redirecturi), e.g. to a second instance' -r
complete -c ocf-devsim -n "__fish_ocf_devsim_using_subcommand cloud" -l issuer -d 'The OAuth server (OIDC issuer) whose tokens and codes devices sign up with' -r
complete -c ocf-devsim -n "__fish_ocf_devsim_using_subcommand cloud" -l audience -d 'The audience its access tokens must name' -r
complete -c ocf-devsim -n "__fish_ocf_devsim_using_subcommand cloud" -l owner-claim -d 'The claim that names a token\'s owner (the devices\' uid)' -r
complete -c ocf-devsim -n "__fish_ocf_devsim_using_subcommand cloud" -l client-id -d 'The OAuth client that exchanges devices\' one-time codes' -r
complete -c ocf-devsim -n "__fish_ocf_devsim_using_subcommand cloud" -l client-secret-file -d 'Read that client\'s secret from this file' -r -F
complete -c ocf-devsim -n "__fish_ocf_devsim_using_subcommand cloud" -l code-redirect-uri -d 'The redirect URI the codes were issued for (sent with each exchange)' -r
complete -c ocf-devsim -n "__fish_ocf_devsim_using_subcommand cloud" -l device-client-id -d 'The device OAuth client named in the hub configuration' -r
complete -c ocf-devsim -n "__fish_ocf_devsim_using_subcommand cloud" -l m2m-client-id -d 'The machine-to-machine OAuth client named in the hub configuration' -r
complete -c ocf-devsim -n "__fish_ocf_devsim_using_subcommand cloud" -l web-client-id -d 'The OAuth client people log in with, named in the hub configuration' -r
complete -c ocf-devsim -n "__fish_ocf_devsim_using_subcommand cloud" -l no-tls -d 'Plain CoAP over TCP (coap+tcp), without TLS'
complete -c ocf-devsim -n "__fish_ocf_devsim_using_subcommand cloud" -l require-client-cert -d 'Refuse devices without a certificate from this cloud\'s CA; the device id of each is then bound to its certificate\'s uuid:<di>'
complete -c ocf-devsim -n "__fish_ocf_devsim_using_subcommand cloud" -l csm -d 'Send a CSM (7.01) first on every connection (real devices do not expect one)'
complete -c ocf-devsim -n "__fish_ocf_devsim_using_subcommand cloud" -l client-secret-stdin -d 'Read that client\'s secret from stdin'
complete -c ocf-devsim -n "__fish_ocf_devsim_using_subcommand cloud" -l json -d 'One JSON object per line on stdout: the startup line, then events'
complete -c ocf-devsim -n "__fish_ocf_devsim_using_subcommand cloud" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ocf-devsim -n "__fish_ocf_devsim_using_subcommand cloud" -s V -l version -d 'Print version'
complete -c ocf-devsim -n "__fish_ocf_devsim_using_subcommand help; and not __fish_seen_subcommand_from device cloud help" -f -a "device" -d 'Run one or more simulated, unowned OCF devices until SIGINT or SIGTERM'
complete -c ocf-devsim -n "__fish_ocf_devsim_using_subcommand help; and not __fish_seen_subcommand_from device cloud help" -f -a "cloud" -d 'Run a simulated OCF cloud (CoAP gateway and hub configuration) until SIGINT or SIGTERM'
complete -c ocf-devsim -n "__fish_ocf_devsim_using_subcommand help; and not __fish_seen_subcommand_from device cloud help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
