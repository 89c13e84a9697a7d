//! Cloud login and device tokens, as library calls: profiles from plgd's hub
//! configuration or an OAuth issuer, the login flows (device code, browser
//! with PKCE, client credentials) through the `oauth2` crate over reqwest,
//! the keyring-held tokens behind a [`TokenSource`] that many tasks share,
//! and what a device needs as `at`.
//!
//! People are asked and told through [`crate::interact::Interaction`] (the
//! device code to enter, the address to open or paste, waits); profiles live
//! in [`crate::store::Store`], secrets in the keyring; every failure is an
//! [`OAuthError`].

pub mod browser;
pub mod client_credentials;
pub mod device_code;
pub mod device_token;
pub mod discovery;
pub mod error;
pub mod http;
pub mod login;
pub mod logout;
pub mod profile;
pub mod redirect;
mod single_flight;
pub mod token_source;
pub mod tokens;
mod waiting;

pub use device_token::DeviceToken;
pub use error::{Endpoint, OAuthError};
pub use login::{LoginOutcome, LoginRequest, LoginSource, login};
pub use logout::{LogoutOutcome, Revocation, logout};
pub use profile::{DeviceTokenKind, Flow, Listed, Profile, list as list_profiles};
pub use token_source::{TokenOptions, TokenSource};
pub use tokens::AccessToken;
