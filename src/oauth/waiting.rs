//! A wait for a person (a login in a browser), reported through the
//! interaction as `Progress::Waiting` and ended with `Progress::Done` however
//! the wait ends, so that a spinner never outlives it.

use crate::interact::{Interaction, Progress};

pub struct Waiting<'a> {
    interaction: &'a dyn Interaction,
    subject: String,
}

impl<'a> Waiting<'a> {
    pub fn start(interaction: &'a dyn Interaction, subject: String, what: &str) -> Waiting<'a> {
        interaction.progress(&Progress::Waiting {
            subject: &subject,
            what,
        });
        Waiting {
            interaction,
            subject,
        }
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.interaction.progress(&Progress::Done {
            subject: &self.subject,
        });
    }
}

/// How a profile is named in progress lines.
pub fn subject(profile: &str) -> String {
    format!("profile {profile}")
}
