//! A network namespace with only its loopback interface, for tests whose
//! processes find each other by multicast: loopback carries multicast inside
//! it, and no device of another test (or of the host) can answer. Deleted
//! when dropped, also on panic. Needs root and iproute2; fails the test,
//! saying so, without them.
#![allow(dead_code)]

use std::process::{Command, Stdio};

pub struct Netns {
    pub name: String,
}

impl Netns {
    /// A new namespace (its name carries the pid and `tag`), loopback up.
    pub fn loopback_only(tag: &str) -> Netns {
        crate::common::require_root("it creates a network namespace");
        crate::common::require(&["ip"], "iproute2");
        let name = format!("ocf-{}-{tag}", std::process::id());
        ip(&["netns", "add", &name]);
        let netns = Netns { name };
        ip(&["-n", &netns.name, "link", "set", "lo", "up"]);
        netns
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

fn ip(args: &[&str]) {
    let output = Command::new("ip")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run ip (scripts/setup.sh installs iproute2)");
    assert!(
        output.status.success(),
        "ip {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr).trim()
    );
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}
