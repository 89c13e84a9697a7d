//! Network interfaces and the OCF multicast groups (FACTS §3).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// 224.0.1.187, "All CoAP Nodes" for IPv4.
pub const ALL_COAP_NODES_V4: Ipv4Addr = Ipv4Addr::new(224, 0, 1, 187);
/// ff02::158 (link-local), ff03::158 (realm-local), ff05::158 (site-local).
pub const ALL_COAP_NODES_V6: [Ipv6Addr; 3] = [
    Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x158),
    Ipv6Addr::new(0xff03, 0, 0, 0, 0, 0, 0, 0x158),
    Ipv6Addr::new(0xff05, 0, 0, 0, 0, 0, 0, 0x158),
];

/// The multicast destinations of one discovery round.
pub fn discovery_groups(port: u16) -> Vec<SocketAddr> {
    let mut groups = vec![SocketAddr::new(IpAddr::V4(ALL_COAP_NODES_V4), port)];
    groups.extend(
        ALL_COAP_NODES_V6
            .iter()
            .map(|g| SocketAddr::new(IpAddr::V6(*g), port)),
    );
    groups
}

/// An interface that can send or receive multicast.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MulticastInterface {
    pub name: String,
    pub index: u32,
    /// Its IPv4 address, if it has one (IPv4 multicast names interfaces by address).
    pub ipv4: Option<Ipv4Addr>,
    pub has_ipv6: bool,
    pub loopback: bool,
}

/// Interfaces that are up, one entry per interface.
pub fn multicast_interfaces() -> Vec<MulticastInterface> {
    let Ok(addrs) = if_addrs::get_if_addrs() else {
        return Vec::new();
    };
    let mut out: Vec<MulticastInterface> = Vec::new();
    for iface in addrs {
        let Some(index) = iface.index else { continue };
        if !iface.is_oper_up() && !iface.is_loopback() {
            continue;
        }
        let entry = match out.iter_mut().position(|i| i.index == index) {
            Some(at) => &mut out[at],
            None => {
                out.push(MulticastInterface {
                    name: iface.name.clone(),
                    index,
                    ipv4: None,
                    has_ipv6: false,
                    loopback: iface.is_loopback(),
                });
                out.last_mut().expect("just pushed")
            }
        };
        match iface.ip() {
            IpAddr::V4(v4) => {
                entry.ipv4.get_or_insert(v4);
            }
            IpAddr::V6(_) => entry.has_ipv6 = true,
        }
    }
    out
}

/// The addresses of this host's interfaces, for a device's `eps`.
pub fn local_addresses() -> Vec<(IpAddr, u32)> {
    let Ok(addrs) = if_addrs::get_if_addrs() else {
        return Vec::new();
    };
    addrs
        .into_iter()
        .filter(|i| !i.is_loopback())
        .map(|i| {
            let ip = i.ip();
            let scope = match ip {
                IpAddr::V6(v6) if v6.segments()[0] & 0xffc0 == 0xfe80 => i.index.unwrap_or(0),
                _ => 0,
            };
            (ip, scope)
        })
        .collect()
}
