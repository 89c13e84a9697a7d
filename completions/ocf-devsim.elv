
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
            cand cloud 'Run a simulated OCF cloud (CoAP gateway and hub configuration) until SIGINT or SIGTERM'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'ocf-devsim;device'= {
            cand --listen 'Address and port of the (first) device; port 0 picks a free port. Default: every address, IPv6 and IPv4, on a free port'
            cand --count 'Number of devices to run, each with its own UUID and port'
            cand --name 'Device name (/oic/d n); with --count, numbered'
            cand --state-dir 'Keep each device''s state in this directory across restarts'
            cand --multicast-delay-ms 'Delay multicast answers by a random time up to this many milliseconds'
            cand --otm 'Ownership transfer methods offered (doxm oxms), in this order'
            cand --pin 'The Random PIN (8 digits). Default: a new random PIN each time the method is selected, shown on stderr as a real device displays it'
            cand --mfg-cert 'Manufacturer certificate chain, PEM, leaf first (for --otm mfg)'
            cand --mfg-key 'The manufacturer certificate''s private key, PKCS#8 PEM (P-256)'
            cand --reset-delay-ms 'How long after a hard reset request the device wipes itself'
            cand --session-idle-ms 'Close DTLS sessions that are silent this long. A device ownership session that ends before the device leaves RFOTM is undone'
            cand --no-multicast 'Do not join the OCF multicast groups'
            cand --json 'Print one JSON line per device on startup: di, name, endpoints'
            cand --reference-loopback-eps 'List no eps to peers on loopback, exactly as the reference device (for the tests that compare with its captures)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'ocf-devsim;cloud'= {
            cand --listen 'The CoAP gateway''s address (the devices'' cis); port 0 picks a free port'
            cand --http-listen 'The HTTP address of the hub configuration and the CA; port 0 picks a free port'
            cand --sid 'The cloud''s UUID (sid, and CN uuid:<sid> of its certificate). Default: a new one'
            cand --state-dir 'Keep the sid, the CA and the token key here across restarts; a second instance started on the same directory accepts the first''s tokens'
            cand --authprovider 'Accepted authprovider names (the first one is the hub''s providerName)'
            cand --expires-in 'Lifetime of the access tokens given to devices, in seconds (-1: permanent)'
            cand --redirect-to 'Send devices there after sign-up (redirecturi), e.g. to a second instance'
            cand --issuer 'The OAuth server (OIDC issuer) whose tokens and codes devices sign up with'
            cand --audience 'The audience its access tokens must name'
            cand --owner-claim 'The claim that names a token''s owner (the devices'' uid)'
            cand --client-id 'The OAuth client that exchanges devices'' one-time codes'
            cand --client-secret-file 'Read that client''s secret from this file'
            cand --code-redirect-uri 'The redirect URI the codes were issued for (sent with each exchange)'
            cand --device-client-id 'The device OAuth client named in the hub configuration'
            cand --m2m-client-id 'The machine-to-machine OAuth client named in the hub configuration'
            cand --web-client-id 'The OAuth client people log in with, named in the hub configuration'
            cand --no-tls 'Plain CoAP over TCP (coap+tcp), without TLS'
            cand --require-client-cert 'Refuse devices without a certificate from this cloud''s CA; the device id of each is then bound to its certificate''s uuid:<di>'
            cand --csm 'Send a CSM (7.01) first on every connection (real devices do not expect one)'
            cand --client-secret-stdin 'Read that client''s secret from stdin'
            cand --json 'One JSON object per line on stdout: the startup line, then events'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'ocf-devsim;help'= {
            cand device 'Run one or more simulated, unowned OCF devices until SIGINT or SIGTERM'
            cand cloud 'Run a simulated OCF cloud (CoAP gateway and hub configuration) until SIGINT or SIGTERM'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'ocf-devsim;help;device'= {
        }
        &'ocf-devsim;help;cloud'= {
        }
        &'ocf-devsim;help;help'= {
        }
    ]
    $completions[$command]
}
