//! `ocf-devsim cloud`: a simulated OCF cloud (ISO/IEC 30118-12 as plgd's
//! hub serves it) for tests and rehearsals.

pub mod ca;
