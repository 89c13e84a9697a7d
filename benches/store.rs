//! The store at fleet size (issue 11), measured with criterion:
//! - `put_owned` latency (record and sealed key, durable) with 0 and with
//!   10,000 devices already stored: the same, since a write is one indexed
//!   insert and one fsync'd commit;
//! - 100 concurrent `put_owned`s (group commit) against 100 in a row;
//! - a lookup by name among 100,000 devices (target < 5 ms);
//! - listing 100,000 devices with whether each key opens, in-process and as
//!   a whole `ocf-mediator --json devices` process (target < 300 ms).
//!
//! Run: `cargo bench --bench store`. Keys are sealed under a KEK in the
//! kernel keyring (the bench joins a session keyring of its own); with
//! `OCF_BENCH_KEYRING=secret-service` under a Secret Service instead (run
//! it inside `dbus-run-session` with an unlocked gnome-keyring, as
//! `benches/own.sh` does). Either keyring is read once per process, so the
//! per-write figures are the same; `benches/own.sh` times whole processes.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use ocf_mediator::store::{KeyringKind, OwnedDevice, OwnerKey, Store};
use uuid::Uuid;

const MEDIATOR: &str = env!("CARGO_BIN_EXE_ocf-mediator");

fn keyring() -> KeyringKind {
    match std::env::var("OCF_BENCH_KEYRING").as_deref() {
        Ok("secret-service") => KeyringKind::SecretService,
        _ => KeyringKind::Kernel,
    }
}

fn join_new_session_keyring() {
    const KEYCTL_JOIN_SESSION_KEYRING: libc::c_long = 1;
    let id = unsafe {
        libc::syscall(
            libc::SYS_keyctl,
            KEYCTL_JOIN_SESSION_KEYRING,
            std::ptr::null::<libc::c_char>(),
        )
    };
    assert!(id >= 0, "keyctl: {}", std::io::Error::last_os_error());
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn device(n: usize) -> OwnedDevice {
    OwnedDevice {
        di: Uuid::new_v4(),
        name: format!("bench-{n}"),
        endpoints: vec![format!("coaps://10.{}.{}.1:5684", n / 256 % 256, n % 256)],
        otm: "jw".into(),
        keyring: keyring(),
        complete: true,
        previous_uuid: Some(Uuid::new_v4()),
        doc_port: None,
        created: None,
        updated: None,
    }
}

fn key() -> OwnerKey {
    OwnerKey::new(Uuid::new_v4().as_bytes())
}

/// A store in `dir` holding `count` devices, written concurrently.
fn filled(rt: &tokio::runtime::Runtime, dir: &Path, count: usize) -> Store {
    let store = Store::open(Some(dir)).unwrap();
    rt.block_on(async {
        store.mediator_uuid().await.unwrap();
        let mut writes: tokio::task::JoinSet<Result<(), _>> = tokio::task::JoinSet::new();
        for n in 0..count {
            if writes.len() >= 1024 {
                writes.join_next().await.unwrap().unwrap().unwrap();
            }
            let store = store.clone();
            writes.spawn(async move { store.put_owned(device(n), &key()).await });
        }
        while let Some(done) = writes.join_next().await {
            done.unwrap().unwrap();
        }
    });
    store
}

fn put_owned(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("put_owned");
    group
        .sample_size(50)
        .measurement_time(Duration::from_secs(5));
    for already in [0, 10_000] {
        let dir = tempfile::tempdir().unwrap();
        let store = filled(&rt, dir.path(), already);
        // The first write of a process reads the KEK; time the steady state.
        rt.block_on(store.put_owned(device(0), &key())).unwrap();
        group.bench_function(format!("with {already} stored"), |b| {
            b.iter_custom(|iterations| {
                let mut spent = Duration::ZERO;
                for _ in 0..iterations {
                    let record = device(1);
                    let di = record.di;
                    let start = Instant::now();
                    rt.block_on(store.put_owned(record, &key())).unwrap();
                    spent += start.elapsed();
                    // Not timed: keep the store at its size.
                    rt.block_on(store.forget(di)).unwrap();
                }
                spent
            })
        });
    }
    let dir = tempfile::tempdir().unwrap();
    let store = filled(&rt, dir.path(), 1);
    group.sample_size(10);
    group.bench_function("100 in a row", |b| {
        b.iter(|| {
            rt.block_on(async {
                for n in 0..100 {
                    store.put_owned(device(n), &key()).await.unwrap();
                }
            })
        })
    });
    group.bench_function("100 at once", |b| {
        b.iter(|| {
            rt.block_on(async {
                let mut writes = tokio::task::JoinSet::new();
                for n in 0..100 {
                    let store = store.clone();
                    writes.spawn(async move { store.put_owned(device(n), &key()).await });
                }
                while let Some(done) = writes.join_next().await {
                    done.unwrap().unwrap();
                }
            })
        })
    });
    group.finish();
}

fn fleet_of_100_000(c: &mut Criterion) {
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap();
    let store = filled(&rt, dir.path(), 100_000);
    let mut group = c.benchmark_group("100,000 devices");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    group.bench_function("lookup by name", |b| {
        b.iter(|| {
            let found = rt.block_on(store.devices_named("bench-54321")).unwrap();
            assert_eq!(found.len(), 1);
        })
    });
    group.bench_function("lookup by name, new handle", |b| {
        b.iter(|| {
            let fresh = Store::open(Some(dir.path())).unwrap();
            let found = rt.block_on(fresh.devices_named("bench-54321")).unwrap();
            assert_eq!(found.len(), 1);
        })
    });
    group.bench_function("devices with key state, in-process", |b| {
        b.iter(|| {
            let listed = rt.block_on(store.devices_with_key_state()).unwrap();
            assert_eq!(listed.len(), 100_000);
        })
    });
    group.bench_function("ocf-mediator --json devices, whole process", |b| {
        b.iter(|| {
            let out = Command::new(MEDIATOR)
                .args(["--json", "devices", "--state-dir"])
                .arg(dir.path())
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert_eq!(out.stdout.iter().filter(|b| **b == b'\n').count(), 100_000);
        })
    });
    group.finish();
}

fn setup() -> Criterion {
    join_new_session_keyring();
    Criterion::default()
}

criterion_group! { name = benches; config = setup(); targets = put_owned, fleet_of_100_000 }
criterion_main!(benches);
