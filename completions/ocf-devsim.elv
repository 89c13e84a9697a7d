
use builtin;
use str;

set edit:completion:arg-completer[ocf-devsim] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'ocf-devsim'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'ocf-devsim'= {
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand device 'Run one or more simulated, unowned OCF devices until SIGINT or SIGTERM'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'ocf-devsim;device'= {
            cand --listen 'Address and port of the (first) device; port 0 picks a free port. Default: every address, IPv6 and IPv4, on a free port'
            cand --count 'Number of devices to run, each with its own UUID and port'
            cand --name 'Device name (/oic/d n); with --count, numbered'
            cand --state-dir 'Keep each device''s state in this directory across restarts'
            cand --multicast-delay-ms 'Delay multicast answers by a random time up to this many milliseconds (at most 60000)'
            cand --otm 'Ownership transfer methods offered (doxm oxms), in this order'
            cand --pin 'The Random PIN (8 digits). Default: a new random PIN each time the method is selected, shown on stderr as a real device displays it'
            cand --mfg-cert 'Manufacturer certificate chain, PEM, leaf first (for --otm mfg)'
            cand --mfg-key 'The manufacturer certificate''s private key, PKCS#8 PEM (P-256)'
            cand --reset-delay-ms 'How long after a hard reset request the device wipes itself, in milliseconds (at most 3600000, an hour)'
            cand --session-idle-ms 'Close DTLS sessions that are silent this many milliseconds (1 to 86400000, a day). A device ownership session that ends before the device leaves RFOTM is undone'
            cand --no-multicast 'Do not join the OCF multicast groups'
            cand --json 'Print one JSON line per device on startup: di, name, endpoints'
            cand --reference-loopback-eps 'List no eps to peers on loopback, exactly as the reference device (for the tests that compare with its captures)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'ocf-devsim;help'= {
            cand device 'Run one or more simulated, unowned OCF devices until SIGINT or SIGTERM'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'ocf-devsim;help;device'= {
        }
        &'ocf-devsim;help;help'= {
        }
    ]
    $completions[$command]
}
