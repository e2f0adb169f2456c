//! Monitoring pings (`_healthchecks`, `_ntfy`, `_webhook`): an observer of the run
//! (docs/operations.md, "Monitoring").
//!
//! Every request is HTTPS against the system's trusted roots (or plain HTTP), with a
//! limit of 10 seconds per attempt and up to 3 attempts, 1 and 4 seconds apart. A
//! failure is one warning naming the service and the URL's host — never its path or
//! query, which are the secret of a healthchecks check or an ntfy topic — and never
//! changes the run or its exit code. No HTTP client exists in a run without pings.

use std::time::Duration;

use keld_status::RunResult;

use crate::invocation::Invocation;
use crate::purpose::Purpose;
use crate::record::{ProcessInfo, Record};
use crate::report::{Event, Observer, RunReport};

/// The limit for one attempt.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);

/// The pauses before the second and the third attempt.
const RETRY_PAUSES: [Duration; 2] = [Duration::from_secs(1), Duration::from_secs(4)];

/// Sends each run's pings; collects warnings for the caller to show.
#[derive(Debug)]
pub struct Pinger {
    process: ProcessInfo,
    agent: Option<ureq::Agent>,
    warnings: Vec<String>,
    /// Pauses between attempts (shorter in tests).
    pauses: [Duration; 2],
}

/// One request.
struct Request<'a> {
    service: &'static str,
    method: &'static str,
    url: String,
    content_type: &'static str,
    headers: Vec<(&'static str, String)>,
    body: &'a str,
}

impl Pinger {
    /// A pinger for runs of this process.
    pub fn new(process: ProcessInfo) -> Self {
        Self {
            process,
            agent: None,
            warnings: Vec::new(),
            pauses: RETRY_PAUSES,
        }
    }

    /// The same, with other pauses between attempts (tests).
    pub fn with_pauses(mut self, pauses: [Duration; 2]) -> Self {
        self.pauses = pauses;
        self
    }

    /// The warnings since the last call.
    pub fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }

    /// The HTTP client, made on first use: a run without pings never builds one.
    fn agent(&mut self) -> &ureq::Agent {
        let version = self.process.keld_version.clone();
        self.agent.get_or_insert_with(|| {
            let tls = ureq::tls::TlsConfig::builder()
                .root_certs(ureq::tls::RootCerts::PlatformVerifier)
                .build();
            ureq::Agent::config_builder()
                .timeout_global(Some(ATTEMPT_TIMEOUT))
                .user_agent(format!("keld/{version}"))
                .http_status_as_error(false)
                .tls_config(tls)
                .build()
                .new_agent()
        })
    }

    fn started(&mut self, invocation: &Invocation) {
        if let Some(url) = &invocation.operations.pings.healthchecks {
            let request = Request {
                service: "healthchecks",
                method: "GET",
                url: join(url, "start"),
                content_type: "text/plain",
                headers: Vec::new(),
                body: "",
            };
            self.send(&request);
        }
    }

    fn finished(&mut self, invocation: &Invocation, report: &RunReport) {
        let pings = &invocation.operations.pings;
        let record = Record::new(invocation, report, &self.process);
        let text = message(&record);
        if let Some(url) = &pings.healthchecks {
            let end = if record.result == RunResult::Skipped {
                "log".to_owned()
            } else {
                record.exit_code.to_string()
            };
            let request = Request {
                service: "healthchecks",
                method: "POST",
                url: join(url, &end),
                content_type: "text/plain; charset=utf-8",
                headers: Vec::new(),
                body: &text,
            };
            self.send(&request);
        }
        if let Some(url) = &pings.ntfy
            && matches!(
                record.result,
                RunResult::Failed | RunResult::Warning | RunResult::Interrupted
            )
        {
            let priority = if record.result == RunResult::Failed {
                "high"
            } else {
                "default"
            };
            let request = Request {
                service: "ntfy",
                method: "POST",
                url: url.clone(),
                content_type: "text/plain; charset=utf-8",
                headers: vec![
                    ("Title", title(&record)),
                    ("Priority", priority.to_owned()),
                    ("Tags", "warning".to_owned()),
                ],
                body: &text,
            };
            self.send(&request);
        }
        if let Some(url) = &pings.webhook {
            let body = serde_json::to_string(&record).unwrap_or_default();
            let request = Request {
                service: "webhook",
                method: "POST",
                url: url.clone(),
                content_type: "application/json",
                headers: Vec::new(),
                body: &body,
            };
            self.send(&request);
        }
    }

    /// Send `request`, up to three times; one warning when every attempt failed.
    fn send(&mut self, request: &Request<'_>) {
        let pauses = self.pauses;
        let mut last_problem = String::new();
        for attempt in 0..=pauses.len() {
            if attempt > 0 {
                std::thread::sleep(pauses[attempt - 1]);
            }
            match self.attempt(request) {
                Ok(()) => return,
                Err((problem, retry)) => {
                    last_problem = problem;
                    if !retry {
                        break;
                    }
                }
            }
        }
        self.warnings.push(format!(
            "{} ping to {} failed: {last_problem}",
            request.service,
            host_of(&request.url)
        ));
    }

    /// One attempt: `Err` with a message that never holds the URL's path, and
    /// whether another attempt may help.
    fn attempt(&mut self, request: &Request<'_>) -> Result<(), (String, bool)> {
        let agent = self.agent().clone();
        let result = match request.method {
            "GET" => {
                let mut builder = agent.get(&request.url);
                for (name, value) in &request.headers {
                    builder = builder.header(*name, value.as_str());
                }
                builder.call()
            }
            _ => {
                let mut builder = agent
                    .post(&request.url)
                    .header("Content-Type", request.content_type);
                for (name, value) in &request.headers {
                    builder = builder.header(*name, value.as_str());
                }
                builder.send(request.body)
            }
        };
        match result {
            Ok(response) if response.status().is_success() => Ok(()),
            Ok(response) => {
                let status = response.status();
                // A server error may pass; a client error (a wrong check URL) will not.
                Err((
                    format!("HTTP status {}", status.as_u16()),
                    status.is_server_error(),
                ))
            }
            // A certificate that is not trusted stays so: no second attempt.
            Err(error) => Err((describe(&error), tls_error(&error).is_none())),
        }
    }
}

/// The TLS error (an untrusted or expired certificate, a failed handshake) behind
/// `error`, if that is what it is.
fn tls_error(error: &ureq::Error) -> Option<&rustls::Error> {
    match error {
        ureq::Error::Rustls(tls) => Some(tls),
        ureq::Error::Io(io) => io.get_ref()?.downcast_ref::<rustls::Error>(),
        _ => None,
    }
}

/// What went wrong, in words that never quote the URL.
fn describe(error: &ureq::Error) -> String {
    if let Some(tls) = tls_error(error) {
        return format!("TLS: {tls}");
    }
    match error {
        ureq::Error::Timeout(_) => "no answer within 10 seconds".to_owned(),
        ureq::Error::Io(io) => io.kind().to_string(),
        ureq::Error::HostNotFound => "the host was not found".to_owned(),
        ureq::Error::ConnectionFailed => "the connection failed".to_owned(),
        ureq::Error::Tls(message) => format!("TLS: {message}"),
        ureq::Error::BadUri(_) => "the URL is not valid".to_owned(),
        ureq::Error::StatusCode(code) => format!("HTTP status {code}"),
        _ => "the request failed".to_owned(),
    }
}

/// `url` with `/<end>` appended (one slash between).
fn join(url: &str, end: &str) -> String {
    format!("{}/{end}", url.trim_end_matches('/'))
}

/// The host (and port) of `url`, which is all a warning may name.
fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    // A user name or password before the host is as secret as the path.
    authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host)
        .to_owned()
}

/// `keld <preset> <alias> <result>`: an ntfy title.
fn title(record: &Record) -> String {
    format!("keld {} {} {}", record.preset, record.alias, record.result)
}

/// The text body: one summary line, the error when there is one, then the record as
/// JSON.
fn message(record: &Record) -> String {
    let status = record.restic_status.as_deref().unwrap_or("not run");
    let took = crate::status::format_age(Duration::from_millis(record.duration_ms));
    let mut text = format!(
        "keld {} {}: {} (exit {}, restic {status}, {took})\n",
        record.preset, record.alias, record.result, record.exit_code
    );
    if let Some(error) = &record.error {
        text.push_str(error);
        text.push('\n');
    }
    text.push_str(&serde_json::to_string(record).unwrap_or_default());
    text.push('\n');
    text
}

impl Observer for Pinger {
    fn on_event(&mut self, invocation: &Invocation, event: &Event<'_>) {
        if !invocation.operations.pings.any() || invocation.purpose != Purpose::Run {
            return;
        }
        match event {
            Event::Started => self.started(invocation),
            Event::Finished(report) => self.finished(invocation, report),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warnings_name_the_host_only() {
        assert_eq!(host_of("https://hc-ping.com/5f0c0a1e-uuid"), "hc-ping.com");
        assert_eq!(
            host_of("http://u:pw@ntfy.lan:8080/topic?x=1"),
            "ntfy.lan:8080"
        );
        assert_eq!(host_of("https://hooks.example/path#frag"), "hooks.example");
    }

    #[test]
    fn check_urls_join_with_one_slash() {
        assert_eq!(
            join("https://hc-ping.com/abc", "start"),
            "https://hc-ping.com/abc/start"
        );
        assert_eq!(
            join("https://hc-ping.com/abc/", "0"),
            "https://hc-ping.com/abc/0"
        );
    }
}
