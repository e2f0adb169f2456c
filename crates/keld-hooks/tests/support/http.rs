//! A real HTTP server on 127.0.0.1 for ping tests: it records every request and
//! answers with the statuses it is told (200 by default). With a TLS acceptor (the
//! `tls` function given to [`Server::start_with`]) it speaks HTTPS.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// One request the server received.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: String,
}

impl Received {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// Something a request can be read from and an answer written to.
pub(crate) trait Connection: Read + Write + Send {}
impl<T: Read + Write + Send> Connection for T {}

/// Wraps an accepted connection (in TLS, say); `None` drops it.
pub(crate) type Wrap = Arc<dyn Fn(TcpStream) -> Option<Box<dyn Connection>> + Send + Sync>;

/// The server; it runs until the test process ends.
pub(crate) struct Server {
    pub(crate) port: u16,
    scheme: &'static str,
    received: Arc<Mutex<Vec<Received>>>,
    statuses: Arc<Mutex<VecDeque<u16>>>,
}

impl Server {
    /// Plain HTTP.
    pub(crate) fn start() -> Self {
        Self::start_with("http", Arc::new(|stream| Some(Box::new(stream))))
    }

    /// With each connection wrapped by `wrap` (TLS), under `scheme`.
    pub(crate) fn start_with(scheme: &'static str, wrap: Wrap) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let statuses = Arc::new(Mutex::new(VecDeque::new()));
        let (log, queue) = (Arc::clone(&received), Arc::clone(&statuses));
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let Some(connection) = wrap(stream) else {
                    continue;
                };
                serve(connection, &log, &queue);
            }
        });
        Self {
            port,
            scheme,
            received,
            statuses,
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}://127.0.0.1:{}{path}", self.scheme, self.port)
    }

    pub(crate) fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    pub(crate) fn answer(&self, statuses: &[u16]) {
        self.statuses.lock().unwrap().extend(statuses);
    }
}

fn serve(
    mut connection: Box<dyn Connection>,
    log: &Mutex<Vec<Received>>,
    queue: &Mutex<VecDeque<u16>>,
) {
    let mut head = Vec::new();
    let mut byte = [0_u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match connection.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let mut lines = BufReader::new(head.as_bytes())
        .lines()
        .map_while(Result::ok);
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let path = parts.next().unwrap_or_default().to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| {
            let (key, value) = line.split_once(':')?;
            Some((key.trim().to_owned(), value.trim().to_owned()))
        })
        .collect();
    let length: usize = headers
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    if connection.read_exact(&mut body).is_err() {
        return;
    }
    log.lock().unwrap().push(Received {
        method,
        path,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    let status = queue.lock().unwrap().pop_front().unwrap_or(200);
    let _ = write!(
        connection,
        "HTTP/1.1 {status} X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nOK"
    );
    let _ = connection.flush();
}
