//! A network namespace of the test's own, with only its loopback interface:
//! for tests whose processes find each other by multicast (loopback carries
//! multicast inside it, and no device of another test or of the host can
//! answer), and for tests where nftables loses datagrams (the simulated
//! devices, their cloud and the mediator run inside it, and the host's
//! network never sees the loss). Deleted when dropped, also on panic.
//!
//! Needs root (CI runs as root), iproute2 and, for loss, nftables: it fails,
//! naming the set-up step, without them.
#![allow(dead_code)]

use std::process::{Command, Stdio};

pub struct Netns {
    pub name: String,
}

fn run(program: &str, args: &[&str], input: Option<&str>) -> Result<String, String> {
    use std::io::Write;
    let mut child = Command::new(program)
        .args(args)
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    if let Some(input) = input {
        child
            .stdin
            .take()
            .expect("piped")
            .write_all(input.as_bytes())
            .map_err(|e| format!("{program}: {e}"))?;
    }
    let output = child
        .wait_with_output()
        .map_err(|e| format!("{program}: {e}"))?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(format!(
            "{program} {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

impl Netns {
    /// A new namespace (its name carries the pid and `tag`), loopback up.
    pub fn loopback_only(tag: &str) -> Netns {
        crate::common::require_root("it creates a network namespace");
        crate::common::require(&["ip"], "iproute2");
        let name = format!("ocf-{}-{tag}", std::process::id());
        run("ip", &["netns", "add", &name], None)
            .unwrap_or_else(|e| panic!("namespace setup failed: {e}"));
        let ns = Netns { name };
        run("ip", &["-n", &ns.name, "link", "set", "lo", "up"], None)
            .unwrap_or_else(|e| panic!("namespace setup failed: {e}"));
        ns
    }

    /// A new namespace where datagrams can be lost ([`Netns::lose_udp`]).
    pub fn create(tag: &str) -> Netns {
        crate::common::require(&["nft"], "nftables");
        Netns::loopback_only(tag)
    }

    /// Drops one UDP datagram in `one_in`, at random, as it arrives: on
    /// loopback every datagram passes the prerouting hook once, so a
    /// request and its answer are each lost with that chance ("each way").
    /// TCP (the devices' cloud connections, OAuth) is not touched.
    pub fn lose_udp(&self, one_in: u32) {
        let rules = format!(
            "table inet lossy {{\n\
             \tchain prerouting {{\n\
             \t\ttype filter hook prerouting priority raw; policy accept;\n\
             \t\tmeta l4proto udp numgen random mod {one_in} == 0 drop\n\
             \t}}\n\
             }}\n"
        );
        run(
            "ip",
            &["netns", "exec", &self.name, "nft", "-f", "-"],
            Some(&rules),
        )
        .unwrap_or_else(|e| panic!("cannot add the loss rule: {e}"));
    }

    /// Stops losing datagrams.
    pub fn stop_losing(&self) {
        run(
            "ip",
            &[
                "netns", "exec", &self.name, "nft", "delete", "table", "inet", "lossy",
            ],
            None,
        )
        .unwrap_or_else(|e| panic!("cannot remove the loss rule: {e}"));
    }

    /// `program` run inside the namespace.
    pub fn command(&self, program: &str) -> Command {
        let mut command = Command::new("ip");
        command.args(["netns", "exec", &self.name, program]);
        command
    }

    /// The command prefix that runs a program inside.
    pub fn prefix(&self) -> [&str; 4] {
        ["ip", "netns", "exec", &self.name]
    }

    /// The prefix as one shell word list.
    pub fn shell_prefix(&self) -> String {
        format!("ip netns exec {}", self.name)
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = run("ip", &["netns", "del", &self.name], None);
    }
}
