//! ocf-mediator: a Mediator for OCF devices and the OCF Cloud.
pub mod dtls;
