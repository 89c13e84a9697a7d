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
complete -c ocf-devsim -n "__fish_ocf_devsim_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c ocf-devsim -n "__fish_ocf_devsim_using_subcommand device" -l listen -d 'Address and port of the (first) device; port 0 picks a free port. Default: every address, IPv6 and IPv4, on a free port' -r
complete -c ocf-devsim -n "__fish_ocf_devsim_using_subcommand device" -l count -d 'Number of devices to run, each with its own UUID and port' -r
complete -c ocf-devsim -n "__fish_ocf_devsim_using_subcommand device" -l name -d 'Device name (/oic/d n); with --count, numbered' -r
complete -c ocf-devsim -n "__fish_ocf_devsim_using_subcommand device" -l state-dir -d 'Keep each device\'s state in this directory across restarts' -r -F
complete -c ocf-devsim -n "__fish_ocf_devsim_using_subcommand device" -l multicast-delay-ms -d 'Delay multicast answers by a random time up to this many milliseconds (at most 60000)' -r
complete -c ocf-devsim -n "__fish_ocf_devsim_using_subcommand device" -l otm -d 'Ownership transfer methods offered (doxm oxms), in this order' -r -f -a "jw\t'Just Works (oxm 0): anonymous DTLS'
rdp\t'Random PIN (oxm 1): a PSK from the PIN the device shows'
mfg\t'Manufacturer certificate (oxm 2): needs --mfg-cert and --mfg-key'"
complete -c ocf-devsim -n "__fish_ocf_devsim_using_subcommand device" -l pin -d 'The Random PIN (8 digits). Default: a new random PIN each time the method is selected, shown on stderr as a real device displays it' -r
complete -c ocf-devsim -n "__fish_ocf_devsim_using_subcommand device" -l mfg-cert -d 'Manufacturer certificate chain, PEM, leaf first (for --otm mfg)' -r -F
complete -c ocf-devsim -n "__fish_ocf_devsim_using_subcommand device" -l mfg-key -d 'The manufacturer certificate\'s private key, PKCS#8 PEM (P-256)' -r -F
complete -c ocf-devsim -n "__fish_ocf_devsim_using_subcommand device" -l reset-delay-ms -d 'How long after a hard reset request the device wipes itself, in milliseconds (at most 3600000, an hour)' -r
complete -c ocf-devsim -n "__fish_ocf_devsim_using_subcommand device" -l session-idle-ms -d 'Close DTLS sessions that are silent this many milliseconds (1 to 86400000, a day). A device ownership session that ends before the device leaves RFOTM is undone' -r
complete -c ocf-devsim -n "__fish_ocf_devsim_using_subcommand device" -l no-multicast -d 'Do not join the OCF multicast groups'
complete -c ocf-devsim -n "__fish_ocf_devsim_using_subcommand device" -l json -d 'Print one JSON line per device on startup: di, name, endpoints'
complete -c ocf-devsim -n "__fish_ocf_devsim_using_subcommand device" -l reference-loopback-eps -d 'List no eps to peers on loopback, exactly as the reference device (for the tests that compare with its captures)'
complete -c ocf-devsim -n "__fish_ocf_devsim_using_subcommand device" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ocf-devsim -n "__fish_ocf_devsim_using_subcommand device" -s V -l version -d 'Print version'
complete -c ocf-devsim -n "__fish_ocf_devsim_using_subcommand help; and not __fish_seen_subcommand_from device help" -f -a "device" -d 'Run one or more simulated, unowned OCF devices until SIGINT or SIGTERM'
complete -c ocf-devsim -n "__fish_ocf_devsim_using_subcommand help; and not __fish_seen_subcommand_from device help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
