//! Man pages and completion scripts, generated from the clap definitions.
//! `tests/generated_files.rs` keeps the committed copies in `man/` and
//! `completions/` equal to these.

use std::fmt::Write as _;

use clap::{Arg, ArgAction, Command, CommandFactory};
use clap_complete::Shell;
use clap_complete::env::Shells;

use super::args::Cli;
use super::devsim_args::DevsimCli;
use super::exit::EXIT_CODES_HELP;
use super::help;

pub const SHELLS: [Shell; 5] = [
    Shell::Bash,
    Shell::Zsh,
    Shell::Fish,
    Shell::PowerShell,
    Shell::Elvish,
];

/// The environment variable through which the scripts ask for completions.
pub const COMPLETE_VAR: &str = "COMPLETE";

/// The binaries' command definitions.
pub fn commands() -> Vec<Command> {
    vec![Cli::command(), DevsimCli::command()]
}

/// One completion script: it registers a completer that runs the binary
/// (found on PATH) with `COMPLETE=<shell>` on each TAB, so flags and live
/// values (devices, profiles) come from the binary itself.
pub fn completion(command: &Command, shell: Shell) -> Vec<u8> {
    let name = command.get_name();
    let mut out = Vec::new();
    if let Some(completer) = Shells::builtins().completer(&shell.to_string()) {
        // Writing into a Vec cannot fail.
        let _ = completer.write_registration(COMPLETE_VAR, name, name, name, &mut out);
    }
    out
}

/// The file name of a completion script, as each shell expects it.
pub fn completion_file_name(binary: &str, shell: Shell) -> String {
    match shell {
        Shell::Bash => format!("{binary}.bash"),
        Shell::Zsh => format!("_{binary}"),
        Shell::Fish => format!("{binary}.fish"),
        Shell::PowerShell => format!("_{binary}.ps1"),
        Shell::Elvish => format!("{binary}.elv"),
        _ => format!("{binary}.{shell}"),
    }
}

/// Every man page: `(file name, roff)`, one per command and subcommand.
pub fn man_pages() -> Vec<(String, Vec<u8>)> {
    let mut pages = Vec::new();
    for command in commands() {
        // The help subcommand has no page of its own: `-h` and `--help` do it.
        let mut command = command.disable_help_subcommand(true);
        command.build();
        let page = Page {
            binary: command.get_name().to_owned(),
        };
        page.collect(&command, command.get_name(), true, &mut pages);
    }
    pages
}

/// What every page of one binary shares.
struct Page {
    binary: String,
}

impl Page {
    fn collect(
        &self,
        command: &Command,
        name: &str,
        top: bool,
        pages: &mut Vec<(String, Vec<u8>)>,
    ) {
        pages.push((format!("{name}.1"), self.render(command, name, top)));
        for sub in command.get_subcommands() {
            self.collect(sub, &format!("{name}-{}", sub.get_name()), false, pages);
        }
    }

    fn mediator(&self) -> bool {
        self.binary == "ocf-mediator"
    }

    /// A man page: clap_mangen's title, name, description and options, and
    /// our SYNOPSIS (with option values), EXAMPLES, ENVIRONMENT, FILES,
    /// EXIT STATUS (top-level pages only) and SEE ALSO.
    fn render(&self, command: &Command, name: &str, top: bool) -> Vec<u8> {
        let man = clap_mangen::Man::new(command.clone().name(name.to_owned()));
        let mut roff = Vec::new();
        // Rendering into a Vec cannot fail.
        let _ = man.render_title(&mut roff);
        let _ = man.render_name_section(&mut roff);
        let mut text = String::new();
        text.push_str(".SH SYNOPSIS\n");
        text.push_str(&synopsis(command, &self.binary, top));
        roff.extend_from_slice(text.as_bytes());
        let _ = man.render_description_section(&mut roff);
        if command.get_arguments().any(|a| !a.is_hide_set()) {
            let _ = man.render_options_section(&mut roff);
        }
        if command.has_subcommands() {
            let _ = man.render_subcommands_section(&mut roff);
        }
        let mut text = String::new();
        examples_section(command, &mut text);
        self.environment_section(command, top, &mut text);
        self.files_section(command, &mut text);
        if top {
            let codes = if self.mediator() {
                EXIT_CODES_HELP
            } else {
                help::DEVSIM_EXIT_CODES
            };
            exit_status_section(codes, &mut text);
        }
        self.see_also_section(name, top, &mut text);
        roff.extend_from_slice(text.as_bytes());
        if command.get_version().is_some() {
            let _ = man.render_version_section(&mut roff);
        }
        roff
    }

    fn environment_section(&self, command: &Command, top: bool, out: &mut String) {
        let mut entries: Vec<(String, String)> = Vec::new();
        // Top-level pages list every variable of every command.
        let mut args: Vec<&Arg> = Vec::new();
        collect_args(command, top, &mut args);
        for arg in args {
            let (Some(var), Some(flag)) = (arg.get_env(), arg.get_long()) else {
                continue;
            };
            let var = var.to_string_lossy().into_owned();
            if entries.iter().any(|(v, _)| *v == var) {
                continue;
            }
            let about = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
            entries.push((
                var,
                format!("The value of --{flag}: {}", lower_first(&about)),
            ));
        }
        if top {
            let extra = if self.mediator() {
                help::MEDIATOR_ENVIRONMENT
            } else {
                help::DEVSIM_ENVIRONMENT
            };
            for (var, about) in extra {
                entries.push(((*var).to_owned(), (*about).to_owned()));
            }
        }
        if entries.is_empty() {
            return;
        }
        out.push_str(".SH ENVIRONMENT\n");
        for (var, about) in entries {
            let _ = write!(out, ".TP\n\\fB{}\\fR\n{}\n", roff(&var), text_line(&about));
        }
        if !top {
            let _ = write!(
                out,
                ".PP\nThe variables every command reads are in \\fB{}\\fR(1).\n",
                roff(&self.binary)
            );
        }
    }

    fn files_section(&self, command: &Command, out: &mut String) {
        let files = if self.mediator() {
            // `completions` reads nothing but its arguments.
            if command.get_name() == "completions" {
                return;
            }
            help::MEDIATOR_FILES
        } else {
            help::DEVSIM_FILES
        };
        out.push_str(".SH FILES\n");
        for (path, about) in files {
            let _ = write!(out, ".TP\n\\fI{}\\fR\n{}\n", roff(path), text_line(about));
        }
    }

    /// The binary's top page and the other binary's (tests check that every
    /// page named exists).
    fn see_also_section(&self, name: &str, top: bool, out: &mut String) {
        let mut refs: Vec<&str> = Vec::new();
        if !top {
            refs.push(&self.binary);
        }
        let other = if self.mediator() {
            "ocf-devsim"
        } else {
            "ocf-mediator"
        };
        refs.push(other);
        let refs: Vec<String> = refs
            .into_iter()
            .filter(|r| *r != name)
            .map(|r| format!("\\fB{}\\fR(1)", roff(r)))
            .collect();
        if !refs.is_empty() {
            let _ = write!(out, ".SH \"SEE ALSO\"\n{}\n", refs.join(", "));
        }
        if top {
            // Scripts need the keys of every line; their one description
            // is a document of the source tree (a test holds the commands
            // to it), not a page of its own.
            out.push_str(
                ".PP\nThe JSON lines of every command (\\fB\\-\\-json\\fR), each key with its type and \
                 meaning: \\fIdocs/json.md\\fR in the source.\n",
            );
        }
    }
}

/// The arguments of `command`, and with `deep` those of its subcommands.
fn collect_args<'a>(command: &'a Command, deep: bool, args: &mut Vec<&'a Arg>) {
    args.extend(command.get_arguments().filter(|a| !a.is_hide_set()));
    if deep {
        for sub in command.get_subcommands() {
            collect_args(sub, true, args);
        }
    }
}

/// `ocf-mediator [--json] … [--timeout <DURATION>] … <COMMAND>` on the
/// top-level page; `ocf-mediator [GLOBAL OPTIONS] own [--otm <OTM>] … <DEVICE>`
/// on a subcommand's.
fn synopsis(command: &Command, binary: &str, top: bool) -> String {
    let mut words = vec![format!("\\fB{}\\fR", roff(binary))];
    let own_args: Vec<&Arg> = command
        .get_arguments()
        .filter(|a| !a.is_hide_set() && !a.is_positional())
        .filter(|a| {
            !matches!(
                a.get_action(),
                ArgAction::Help | ArgAction::HelpLong | ArgAction::Version
            )
        })
        .filter(|a| top || !a.is_global_set())
        .collect();
    if !top {
        if command.get_arguments().any(|a| a.is_global_set()) {
            words.push("[\\fIGLOBAL OPTIONS\\fR]".to_owned());
        }
        words.push(format!("\\fB{}\\fR", roff(command.get_name())));
    }
    let (required, optional): (Vec<&Arg>, Vec<&Arg>) =
        own_args.into_iter().partition(|a| a.is_required_set());
    for arg in optional {
        words.push(format!("[{}]{}", option_words(arg), repeat_mark(arg)));
    }
    for arg in required {
        words.push(format!("{}{}", option_words(arg), repeat_mark(arg)));
    }
    for arg in command.get_positionals().filter(|a| !a.is_hide_set()) {
        let value = value_name(arg);
        if arg.is_required_set() {
            words.push(format!("\\fI<{}>\\fR", roff(&value)));
        } else {
            words.push(format!("[\\fI<{}>\\fR]", roff(&value)));
        }
    }
    if command.has_subcommands() {
        words.push("\\fI<COMMAND>\\fR".to_owned());
    }
    format!("{}\n", words.join(" "))
}

/// `\fB-v\fR|\fB--verbose\fR`, `\fB--timeout\fR \fI<DURATION>\fR`.
fn option_words(arg: &Arg) -> String {
    let mut names = Vec::new();
    if let Some(short) = arg.get_short() {
        names.push(format!("\\fB\\-{}\\fR", roff(&short.to_string())));
    }
    if let Some(long) = arg.get_long() {
        names.push(format!("\\fB\\-\\-{}\\fR", roff(long)));
    }
    let mut words = names.join("|");
    let takes_value = arg.get_num_args().is_some_and(|n| n.takes_values());
    if takes_value {
        let _ = write!(words, " \\fI<{}>\\fR", roff(&value_name(arg)));
    }
    words
}

fn repeat_mark(arg: &Arg) -> &'static str {
    match arg.get_action() {
        ArgAction::Count | ArgAction::Append => "...",
        _ => "",
    }
}

fn value_name(arg: &Arg) -> String {
    arg.get_value_names()
        .and_then(|names| names.first())
        .map(|n| n.to_string())
        .unwrap_or_else(|| arg.get_id().as_str().to_uppercase())
}

/// EXAMPLES from the command's `Examples:` block (help.rs): each
/// description, then its commands, set apart.
fn examples_section(command: &Command, out: &mut String) {
    let Some(after) = command.get_after_long_help().map(|h| h.to_string()) else {
        return;
    };
    let examples = parse_examples(&after);
    if examples.is_empty() {
        return;
    }
    out.push_str(".SH EXAMPLES\n");
    for (about, commands) in examples {
        let _ = write!(out, ".PP\n{}\n.PP\n.RS 4\n.nf\n", text_line(&about));
        for line in commands {
            let _ = writeln!(out, "\\fB{}\\fR", text_line(&line));
        }
        out.push_str(".fi\n.RE\n");
    }
}

/// `(description, commands)` pairs of an `Examples:` block: `# ` lines
/// describe, the lines after them are commands; a blank line ends the block.
pub fn parse_examples(help: &str) -> Vec<(String, Vec<String>)> {
    let mut examples: Vec<(String, Vec<String>)> = Vec::new();
    let mut lines = help.lines().skip_while(|l| l.trim() != "Examples:").skip(1);
    for line in lines.by_ref() {
        let line = line.trim();
        if line.is_empty() {
            break;
        }
        if let Some(about) = line.strip_prefix("# ") {
            examples.push((about.to_owned(), Vec::new()));
        } else if let Some((_, commands)) = examples.last_mut() {
            commands.push(line.to_owned());
        }
    }
    examples
}

fn exit_status_section(codes: &str, out: &mut String) {
    out.push_str(".SH \"EXIT STATUS\"\n");
    for line in codes.lines().skip(1) {
        let (code, meaning) = line.trim().split_once(' ').unwrap_or((line.trim(), ""));
        let _ = write!(out, ".TP\n{}\n{}\n", roff(code), text_line(meaning.trim()));
    }
}

fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Text escaped for roff: backslashes and hyphens.
fn roff(text: &str) -> String {
    text.replace('\\', "\\e").replace('-', "\\-")
}

/// A line of running text: escaped, and never read as a request (a line
/// starting with `.` or `'`).
fn text_line(text: &str) -> String {
    let escaped = roff(text);
    if escaped.starts_with(['.', '\'']) {
        format!("\\&{escaped}")
    } else {
        escaped
    }
}
