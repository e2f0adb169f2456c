//! Monitoring pings from the real binary: HTTPS checked against the system's trusted
//! roots (`SSL_CERT_FILE` names them here), a certificate that is not trusted, a held
//! lock and a run stopped by a signal.

use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::sync::Arc;
use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::support::Sandbox;
use crate::support::http::{Connection, Received, Server};
use crate::support::process::{wait_for_file, wait_timeout};

/// A certificate authority, and an HTTPS server whose certificate for 127.0.0.1 it
/// signed.
struct Tls {
    server: Server,
    ca_pem: String,
}

fn https_server() -> Tls {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    // The crate's one provider (ring), as the features of the test build choose it.
    let config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .unwrap();
    let config = Arc::new(config);
    let server = Server::start_with(
        "https",
        Arc::new(move |stream| {
            let connection = rustls::ServerConnection::new(Arc::clone(&config)).ok()?;
            Some(Box::new(rustls::StreamOwned::new(connection, stream)) as Box<dyn Connection>)
        }),
    );
    Tls {
        server,
        ca_pem: ca.pem(),
    }
}

/// A backup preset that pings healthchecks at `url` and ntfy at `ntfy`, with records
/// in `state/`.
fn sandbox(url: &str, ntfy: &str, extra: &str) -> Sandbox {
    let mut sandbox = Sandbox::new();
    sandbox.write_config(&format!(
        "[home]\n{extra}\n[home.backup]\n_arguments = [\"/home\"]\n\
         _healthchecks = {url:?}\n_ntfy = {ntfy:?}\n"
    ));
    let state = sandbox.path("state");
    sandbox.set_env("KELD_STATE_DIR", state);
    sandbox
}

fn requests(server: &Server) -> Vec<(String, String)> {
    server
        .received()
        .into_iter()
        .map(|Received { method, path, .. }| (method, path))
        .collect()
}

/// Waits until `server` has received `count` requests.
fn wait_for_requests(server: &Server, count: usize) -> Vec<Received> {
    for _ in 0..400 {
        let received = server.received();
        if received.len() >= count {
            return received;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!("expected {count} requests, got {:?}", requests(server));
}

fn ca_file(sandbox: &Sandbox, pem: &str) -> PathBuf {
    sandbox.file("ca.pem", pem)
}

#[test]
fn https_pings_are_checked_against_the_trusted_roots() {
    let tls = https_server();
    let url = tls.server.url("/hc/5f0c-secret-uuid");
    let topic = tls.server.url("/alerts-s3cret");
    let mut sandbox = sandbox(&url, &topic, "");
    let ca = ca_file(&sandbox, &tls.ca_pem);
    sandbox.set_env("SSL_CERT_FILE", ca);
    let output = sandbox
        .keld(&["-p", "home", "backup"])
        .env("FAKE_RESTIC_EXIT", "3")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(!stderr.contains("ping"), "no ping warning: {stderr}");
    let received = wait_for_requests(&tls.server, 3);
    assert_eq!(
        requests(&tls.server),
        [
            ("GET".to_owned(), "/hc/5f0c-secret-uuid/start".to_owned()),
            ("POST".to_owned(), "/hc/5f0c-secret-uuid/3".to_owned()),
            ("POST".to_owned(), "/alerts-s3cret".to_owned()),
        ]
    );
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(
        received[0].header("User-Agent"),
        Some(format!("keld/{version}").as_str())
    );
    assert!(
        received[1]
            .body
            .starts_with("keld home backup: warning (exit 3"),
        "{}",
        received[1].body
    );
    assert_eq!(
        received[2].header("Title"),
        Some("keld home backup warning")
    );
    assert_eq!(received[2].header("Priority"), Some("default"));
}

#[test]
fn an_untrusted_certificate_is_one_warning_per_ping_and_keeps_the_exit_code() {
    let tls = https_server();
    let other = https_server();
    let url = tls.server.url("/hc/5f0c-secret-uuid");
    let mut sandbox = sandbox(&url, &tls.server.url("/alerts-s3cret"), "");
    // Trusted: another authority only.
    let ca = ca_file(&sandbox, &other.ca_pem);
    sandbox.set_env("SSL_CERT_FILE", ca);
    let output = sandbox
        .keld(&["-p", "home", "backup"])
        .env("FAKE_RESTIC_EXIT", "12")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(12),
        "restic's code stays: {stderr}"
    );
    let warnings: Vec<&str> = stderr
        .lines()
        .filter(|line| line.contains("ping to"))
        .collect();
    assert_eq!(warnings.len(), 3, "start, end and ntfy: {stderr}");
    for warning in &warnings {
        let expected = format!(
            "ping to 127.0.0.1:{} failed: TLS: invalid peer certificate",
            tls.server.port
        );
        assert!(warning.contains(&expected), "{stderr}");
    }
    assert!(
        !stderr.contains("secret") && !stderr.contains("s3cret"),
        "{stderr}"
    );
    assert!(tls.server.received().is_empty(), "no request got through");
    assert_eq!(sandbox.restic_runs().len(), 1, "restic ran all the same");
}

fn start_waiting(sandbox: &Sandbox) -> Child {
    let child = sandbox
        .keld(&["-p", "home", "backup"])
        .env("FAKE_RESTIC_WAIT", "backup")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start keld");
    assert!(wait_for_file(
        &sandbox.path("restic.ready"),
        Duration::from_secs(20)
    ));
    child
}

fn signal(child: &Child, signal: nix::sys::signal::Signal) {
    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).unwrap());
    nix::sys::signal::kill(pid, signal).unwrap();
}

#[test]
fn a_held_lock_is_a_failure_the_pings_report_and_nothing_runs() {
    let server = Server::start();
    let sandbox = sandbox(
        &server.url("/hc/one"),
        &server.url("/alerts"),
        "_lock = true",
    );
    let mut holder = start_waiting(&sandbox);
    wait_for_requests(&server, 1);

    let output = sandbox.keld(&["-p", "home", "backup"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "preset \"home\" is already running (pid {}, backup, since",
            holder.id()
        )),
        "{stderr}"
    );
    assert_eq!(
        sandbox.restic_runs().len(),
        1,
        "only the holder's restic ran"
    );
    let received = wait_for_requests(&server, 3);
    assert_eq!(
        requests(&server)[1..],
        [
            ("POST".to_owned(), "/hc/one/1".to_owned()),
            ("POST".to_owned(), "/alerts".to_owned()),
        ],
        "the refused run never pinged start"
    );
    assert!(
        received[1].body.contains("already running"),
        "{}",
        received[1].body
    );
    assert_eq!(received[2].header("Priority"), Some("high"));

    signal(&holder, nix::sys::signal::Signal::SIGTERM);
    assert_eq!(
        wait_timeout(&mut holder, Duration::from_secs(20)).code(),
        Some(143)
    );
}

#[test]
fn a_run_stopped_by_a_signal_reports_interrupted() {
    let server = Server::start();
    let sandbox = sandbox(&server.url("/hc/one"), &server.url("/alerts"), "");
    let mut keld = start_waiting(&sandbox);
    signal(&keld, nix::sys::signal::Signal::SIGINT);
    assert_eq!(
        wait_timeout(&mut keld, Duration::from_secs(20)).code(),
        Some(130)
    );
    let received = wait_for_requests(&server, 3);
    assert_eq!(
        requests(&server),
        [
            ("GET".to_owned(), "/hc/one/start".to_owned()),
            ("POST".to_owned(), "/hc/one/130".to_owned()),
            ("POST".to_owned(), "/alerts".to_owned()),
        ]
    );
    assert!(
        received[1]
            .body
            .starts_with("keld home backup: interrupted (exit 130"),
        "{}",
        received[1].body
    );
    assert_eq!(
        received[2].header("Title"),
        Some("keld home backup interrupted")
    );
}
