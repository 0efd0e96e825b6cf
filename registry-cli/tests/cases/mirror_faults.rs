//! `registry mirror` against an origin that lies or a run that dies: a short or altered entry bundle, a checkpoint
//! whose signature does not verify and a swapped key are each refused (exit 2) with the mirror folder byte for byte
//! as it was; a run killed with SIGKILL while staging, and another while moving versions into place, are followed by a
//! run that leaves the folder complete (what a fresh mirror holds) and every version verifying from it.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use super::mirror::{mirror, snapshot};
use crate::support::{Answer, Proxy, World, cli, command};

/// An origin with `demo-f@1.0.0` mirrored into `world/mirror`, then `more` versions published after it; returns the
/// pinned keys file and the mirror folder.
fn mirrored_then_grown(world: &World, id: &str, more: &[&str]) -> (String, String) {
    world.publish_demo(id, "1.0.0");
    let keys = world.path("keys.txt");
    cli(&[
        "keys",
        "--registry-url",
        &world.registry.base,
        "--save",
        &keys,
    ])
    .assert_code(0);
    let to = world.path("mirror");
    mirror(&world.registry.base, &to, &keys).assert_code(0);
    for version in more {
        world.publish_demo(id, version);
    }
    (keys, to)
}

/// The entries of a C2SP entry bundle (big-endian u16 length, then the bytes).
fn entries(bundle: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut rest = bundle;
    while rest.len() >= 2 {
        let len = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
        out.push(rest[2..2 + len].to_vec());
        rest = &rest[2 + len..];
    }
    out
}

fn bundle(entries: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for e in entries {
        out.extend_from_slice(&u16::try_from(e.len()).unwrap().to_be_bytes());
        out.extend_from_slice(e);
    }
    out
}

fn is_bundle(path: &str) -> bool {
    path.starts_with("/registry-api/v1/log/tile/entries/")
}

/// Each lie: refused with its code, exit 2, and the folder exactly as it was.
#[test]
fn a_dropped_entry_a_bad_checkpoint_signature_or_a_swapped_key_is_refused() {
    let world = World::new();
    let (keys, to) = mirrored_then_grown(&world, "demo-f", &["1.0.1", "1.0.2"]);
    let before = snapshot(Path::new(&to));
    type Lie = fn(&str, &mut Answer);
    let lies: [(&str, Lie, &str); 5] = [
        (
            "a short bundle (its last entry dropped)",
            |path, answer| {
                if is_bundle(path) {
                    let mut e = entries(&answer.body);
                    e.pop();
                    answer.body = bundle(&e);
                }
            },
            "malformed_bundle",
        ),
        (
            "an entry dropped and the others shifted up (the bundle's width kept)",
            |path, answer| {
                if is_bundle(path) {
                    let mut e = entries(&answer.body);
                    let last = e.last().unwrap().clone();
                    e.remove(1);
                    e.push(last);
                    answer.body = bundle(&e);
                }
            },
            "entries_do_not_match_checkpoint",
        ),
        (
            "a checkpoint whose signature does not verify",
            |path, answer| {
                if path == "/registry-api/v1/log/checkpoint" {
                    let text = String::from_utf8(answer.body.clone()).unwrap();
                    // The signature line ends with base64: change one of its signature bytes.
                    let (head, signature) = text.trim_end().rsplit_once(' ').unwrap();
                    let mut sig = signature.as_bytes().to_vec();
                    let at = sig.len() - 8;
                    sig[at] = if sig[at] == b'A' { b'B' } else { b'A' };
                    answer.body =
                        format!("{head} {}\n", String::from_utf8(sig).unwrap()).into_bytes();
                }
            },
            "checkpoint_not_verified",
        ),
        (
            "a checkpoint of the right size whose root is another's",
            |path, answer| {
                if path == "/registry-api/v1/log/checkpoint" {
                    let text = String::from_utf8(answer.body.clone()).unwrap();
                    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
                    lines[2] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".to_owned();
                    answer.body = format!("{}\n", lines.join("\n")).into_bytes();
                }
            },
            "checkpoint_not_verified",
        ),
        (
            "a swapped key (the pinned one replaced in /keys)",
            |path, answer| {
                if path == "/registry-api/v1/keys" {
                    let mut keys = answer.json();
                    for item in keys["items"].as_array_mut().into_iter().flatten() {
                        item["public_key"] = serde_json::Value::String(
                            "DElQ5a28dUvzFfTpROrvS44/vNdVUzUPBUTT1UNVJpo=".into(),
                        );
                    }
                    answer.set_json(&keys);
                }
            },
            "key_changed",
        ),
    ];
    for (what, lie, code) in lies {
        let proxy = Proxy::rewriting(world.registry.addr, lie);
        let run = mirror(&proxy.base, &to, &keys);
        assert_eq!(run.code, 2, "{what}: {}\n{}", run.stdout, run.stderr);
        run.assert_stderr_contains(code);
        run.assert_stderr_contains("the mirror folder was left as it was");
        assert_eq!(before, snapshot(Path::new(&to)), "{what}");
    }
    // The honest origin afterwards: mirrored.
    let run = mirror(&world.registry.base, &to, &keys);
    run.assert_code(0);
    assert_eq!(run.json()["versions_written"], 2);
}

/// A proxy that answers normally until `stall_at(path, n)` says so for the `n`-th request it sees (from 1), then
/// tells the test (`stalled`) and holds that answer, and every later one, until `release` is dropped.
struct Stalling {
    proxy: Proxy,
    stalled: mpsc::Receiver<String>,
    release: Option<mpsc::Sender<()>>,
}

impl Stalling {
    fn start(world: &World, stall_at: fn(&str, usize) -> bool) -> Stalling {
        let (tell, stalled) = mpsc::channel();
        let (release, held) = mpsc::channel::<()>();
        let tell = Mutex::new(tell);
        let held = Mutex::new(held);
        let seen = AtomicUsize::new(0);
        let stalling = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let proxy = Proxy::rewriting(world.registry.addr, move |path, _| {
            let n = seen.fetch_add(1, Ordering::SeqCst) + 1;
            if stalling.load(Ordering::SeqCst) || stall_at(path, n) {
                stalling.store(true, Ordering::SeqCst);
                let _ = tell.lock().unwrap().send(path.to_owned());
                // Blocks until the test drops `release`.
                let _ = held.lock().unwrap().recv();
            }
        });
        Stalling {
            proxy,
            stalled,
            release: Some(release),
        }
    }
}

impl Drop for Stalling {
    fn drop(&mut self) {
        self.release.take();
    }
}

/// Runs `registry mirror` through `stalling` with one job, waits until the proxy stalls, checks the folder with
/// `while_stalled`, then kills the run with SIGKILL.
fn kill_midway(stalling: &Stalling, to: &str, keys: &str, while_stalled: impl Fn(&Path)) {
    let mut child = command()
        .args([
            "mirror",
            "--from",
            &stalling.proxy.base,
            "--to",
            to,
            "--trusted-keys",
            keys,
            "--jobs",
            "1",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let path = stalling.stalled.recv().unwrap();
    assert_eq!(child.try_wait().unwrap(), None, "stalled at {path}");
    while_stalled(Path::new(to));
    child.kill().unwrap();
    child.wait().unwrap();
}

fn is_package_route(path: &str) -> bool {
    path.starts_with("/registry-api/v1/packages/")
}

/// A run killed while it stages versions, then one killed after moving them into place (before its listings and
/// checkpoint), then a full run: the folder is what a fresh mirror holds (plus the partial tiles of older
/// checkpoints), with no staging or set-aside folder left, and every version verifies from it.
#[test]
fn a_mirror_killed_midway_completes_on_the_next_run() {
    let world = World::new();
    let grown = ["1.0.1", "1.0.2", "1.0.3"];
    let (keys, to) = mirrored_then_grown(&world, "demo-k", &grown);
    let checkpoint =
        |dir: &Path| std::fs::read(dir.join("registry-api/v1/log/checkpoint")).unwrap();
    let old_checkpoint = checkpoint(Path::new(&to));

    // Records and receipts are read in bulk first, then each version's lock one version after another: the 2nd
    // package request is the second version's lock, so the first version is staged.
    let staging = Stalling::start(&world, |path, _| {
        static PACKAGE_REQUESTS: AtomicUsize = AtomicUsize::new(0);
        is_package_route(path) && PACKAGE_REQUESTS.fetch_add(1, Ordering::SeqCst) + 1 == 2
    });
    kill_midway(&staging, &to, &keys, |dir| {
        let staged: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with(".staging-"))
            .collect();
        assert_eq!(staged.len(), 1);
        assert!(staged[0].path().join("0/receipt").is_file());
    });
    drop(staging);

    // Listings are read once every version is in place: stall there.
    let moving = Stalling::start(&world, |path, _| {
        is_package_route(path) && path.contains("?limit=")
    });
    kill_midway(&moving, &to, &keys, |dir| {
        for version in grown {
            assert!(
                dir.join(format!("registry-api/v1/packages/demo-k/{version}/receipt"))
                    .is_file()
            );
        }
        assert_eq!(checkpoint(dir), old_checkpoint);
    });
    drop(moving);

    let run = mirror(&world.registry.base, &to, &keys);
    run.assert_code(0);
    assert_eq!(run.json()["versions_written"], 3, "{}", run.stdout);
    let fresh = world.path("fresh");
    mirror(&world.registry.base, &fresh, &keys).assert_code(0);
    let resumed = snapshot(Path::new(&to));
    let fresh: BTreeMap<_, _> = snapshot(Path::new(&fresh));
    for (path, bytes) in &fresh {
        // A lock names the checkpoint current when it was fetched: 1.0.0's was fetched by the first mirror.
        if path.ends_with("demo-k/1.0.0/lock") {
            assert!(resumed.contains_key(path));
            continue;
        }
        let text = |b: &Vec<u8>| String::from_utf8_lossy(b).into_owned();
        assert_eq!(resumed.get(path).map(text), Some(text(bytes)), "{path}");
    }
    for path in resumed.keys().filter(|p| !fresh.contains_key(*p)) {
        assert!(
            path.contains("/log/tile/") && path.contains(".p/"),
            "{path}"
        );
    }
    for version in std::iter::once("1.0.0").chain(grown) {
        cli(&[
            "verify",
            &format!("demo-k@{version}"),
            "--registry-url",
            &to,
            "--trusted-keys",
            &keys,
        ])
        .assert_code(0);
    }
}
