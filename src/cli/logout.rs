//! `logout`: the library revokes the profile's tokens where it can and
//! deletes its secrets and the profile; this reports what happened.

use serde_json::json;

use super::args::{GlobalArgs, ProfileArgs};
use super::cloud_state;
use super::exit::Exit;
use super::output::Output;
use crate::oauth::profile::check_name;
use crate::oauth::{Revocation, logout};

pub async fn run(args: &ProfileArgs, global: &GlobalArgs, output: &Output) -> anyhow::Result<Exit> {
    let name = &args.profile;
    check_name(name)?;
    let store = cloud_state::store(global)?;
    let outcome = logout(&store, name, global.timeout).await?;
    let revoked = match &outcome.revocation {
        Revocation::Revoked => true,
        Revocation::Failed(e) => {
            output.note(&format!("warning: could not revoke the tokens: {e}"));
            false
        }
        Revocation::NotOffered => {
            output.debug("the OAuth server has no revocation endpoint");
            false
        }
        Revocation::NothingToRevoke => false,
    };
    if output.json {
        output.json_line(&json!({"event": "logged_out", "profile": name, "revoked": revoked}));
    } else {
        let how = if revoked { " (tokens revoked)" } else { "" };
        output.note(&format!("Logged out: profile {name} deleted{how}"));
    }
    Ok(Exit::Success)
}
