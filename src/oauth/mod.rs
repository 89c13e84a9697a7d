//! Cloud login and device tokens: profiles from plgd's hub configuration or
//! an OAuth issuer, the login flows (device code, browser with PKCE, client
//! credentials) through the `oauth2` crate over reqwest, the keyring-held
//! tokens, and what a device needs as `at`.

pub mod browser;
pub mod client_credentials;
pub mod device_code;
pub mod device_token;
pub mod discovery;
pub mod errors;
pub mod http;
pub mod profile;
pub mod redirect;
pub mod tokens;
