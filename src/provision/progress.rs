//! One line per device: the operations a device's pipeline runs (locate,
//! own, configure, wait) each report progress under their own subject (an
//! address, then "name (old UUID)", then "name (new UUID)") and end it when
//! they end. Seen through [`DeviceLine`], all of it is one subject — the
//! device as it was named — that ends only when the whole pipeline does, so
//! a person watching a batch sees one line per device with its current step.

use std::sync::Arc;

use url::Url;

use crate::interact::{Declined, Interaction, Notice, PinRequest, Progress, Secret};

/// Forwards everything to `parent`, with every step and wait reported
/// under `subject`, and the operations' own ends dropped.
pub(super) struct DeviceLine {
    parent: Arc<dyn Interaction>,
    subject: String,
}

impl DeviceLine {
    pub(super) fn new(parent: Arc<dyn Interaction>, subject: &str) -> DeviceLine {
        DeviceLine {
            parent,
            subject: subject.to_owned(),
        }
    }
}

impl Interaction for DeviceLine {
    fn can_provide_pin(&self) -> Result<(), Declined> {
        self.parent.can_provide_pin()
    }

    fn pin(&self, request: &PinRequest) -> Result<Secret, Declined> {
        self.parent.pin(request)
    }

    fn choose(&self, question: &str, options: &[String]) -> Result<usize, Declined> {
        self.parent.choose(question, options)
    }

    fn choose_many(&self, question: &str, options: &[String]) -> Result<Vec<usize>, Declined> {
        self.parent.choose_many(question, options)
    }

    fn confirm(&self, question: &str) -> Result<bool, Declined> {
        self.parent.confirm(question)
    }

    fn can_paste(&self) -> Result<(), Declined> {
        self.parent.can_paste()
    }

    fn paste(&self, prompt: &str) -> Result<Secret, Declined> {
        self.parent.paste(prompt)
    }

    fn open_browser(&self, url: &Url) -> bool {
        self.parent.open_browser(url)
    }

    fn notice(&self, notice: &Notice<'_>) {
        self.parent.notice(notice)
    }

    fn progress(&self, progress: &Progress<'_>) {
        let subject = &self.subject;
        match progress {
            Progress::Step { what, .. } => self.parent.progress(&Progress::Step { subject, what }),
            Progress::Waiting { what, .. } => {
                self.parent.progress(&Progress::Waiting { subject, what })
            }
            // The pipeline ends the line (see `pipeline::provision`).
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interact::Scripted;

    #[test]
    fn every_step_shows_on_the_device_line_and_only_the_pipeline_ends_it() {
        let person = Arc::new(Scripted::new());
        let line = DeviceLine::new(person.clone(), "127.0.0.1:5683");
        line.progress(&Progress::Step {
            subject: "coap://127.0.0.1:5683",
            what: "looking for it",
        });
        line.progress(&Progress::Done {
            subject: "coap://127.0.0.1:5683",
        });
        line.progress(&Progress::Waiting {
            subject: "Lamp (5569de78-a3c7-4e5c-a7f7-fb00f5a6d7ed)",
            what: "waiting until it is registered",
        });
        let shown = person.transcript();
        assert_eq!(shown.len(), 2, "{shown:?}");
        assert!(shown[0].contains("subject: \"127.0.0.1:5683\", what: \"looking for it\""));
        assert!(shown[1].contains("Waiting { subject: \"127.0.0.1:5683\""));
    }
}
