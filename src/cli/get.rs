//! `ocf-mediator get`.

use super::args::{GetArgs, GlobalArgs};
use super::exchange::{exchange, normalize_href, report};
use super::exit::Exit;
use super::output::Output;
use crate::ocf::request::ocf_get;

pub async fn run(args: &GetArgs, global: &GlobalArgs, output: &Output) -> anyhow::Result<Exit> {
    let href = normalize_href(&args.href)?;
    let mut stdin = std::io::stdin().lock();
    let exchanged = exchange(
        &args.device,
        ocf_get(&href),
        &args.dtls,
        &mut stdin,
        global,
        output,
    )
    .await?;
    report(&exchanged, "GET", &href, output)
}
