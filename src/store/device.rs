//! The record of a device this mediator owns (or is in the middle of owning).

use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::secrets::KeyringKind;

/// A device this mediator owns (or is in the middle of owning). Holds no
/// secret: the owner key is sealed beside it in the store.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct OwnedDevice {
    /// The device UUID (the key of the record).
    pub di: Uuid,
    /// Device name from `/oic/d`, for people.
    #[serde(default)]
    pub name: String,
    /// Last known endpoints, `coap://` and `coaps://` URIs.
    #[serde(default)]
    pub endpoints: Vec<String>,
    /// The ownership transfer method used: `jw`, `rdp` or `mfg`.
    pub otm: String,
    /// Which keyring holds the key-encryption key that opens the owner key.
    pub keyring: KeyringKind,
    /// `true` once the device reported RFNOP with us as owner; `false`
    /// while ownership is being transferred (so `own` can finish it).
    #[serde(default)]
    pub complete: bool,
    /// The device UUID before the transfer, when the transfer changed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_uuid: Option<Uuid>,
    /// While ownership is being transferred: the local UDP port of the
    /// device ownership connection, so that a rerun after a crash can take
    /// that session's place at the device (RFC 6347 §4.2.8) instead of
    /// waiting for the device to drop it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc_port: Option<u16>,
    /// When the store first wrote this record (set by the store; `None`
    /// in a record not read from it).
    #[serde(skip)]
    pub created: Option<SystemTime>,
    /// When the store last changed this record (set by the store).
    #[serde(skip)]
    pub updated: Option<SystemTime>,
}
