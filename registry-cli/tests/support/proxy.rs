//! A minimal HTTP/1.1 proxy on `127.0.0.1:0` (std::net and one thread per connection) that forwards each request to
//! a real registry with `Connection: close`, reads the whole answer, lets the test rewrite it by request path, fixes
//! `Content-Length` and sends it back: a registry that lies, on demand.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

/// An upstream answer a test may rewrite.
#[derive(Debug, Clone)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// The body (de-chunked).
    pub body: Vec<u8>,
    /// The `Content-Length` to declare; `None` declares the body's real length.
    pub declared_length: Option<usize>,
}

impl Answer {
    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    /// Replaces the body with `value`.
    pub fn set_json(&mut self, value: &serde_json::Value) {
        self.body = serde_json::to_vec(value).unwrap();
    }
}

type Route = dyn Fn(&str) -> String + Send + Sync;
type Rewrite = dyn Fn(&str, &mut Answer) + Send + Sync;

/// A running proxy; stops when dropped.
pub struct Proxy {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    acceptor: Option<JoinHandle<()>>,
}

impl Proxy {
    /// A proxy to `upstream` that forwards request target `t` as `route(t)` and passes every answer through
    /// `rewrite(t, answer)` (`t` being the target the client asked for, such as `/registry-api/v1/keys`).
    pub fn start(
        upstream: SocketAddr,
        route: impl Fn(&str) -> String + Send + Sync + 'static,
        rewrite: impl Fn(&str, &mut Answer) + Send + Sync + 'static,
    ) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let route: Arc<Route> = Arc::new(route);
        let rewrite: Arc<Rewrite> = Arc::new(rewrite);
        let stopping = Arc::clone(&stop);
        let acceptor = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let (route, rewrite) = (Arc::clone(&route), Arc::clone(&rewrite));
                std::thread::spawn(move || {
                    // A client that went away is not the test's failure; the CLI's exit code tells.
                    let _ = serve(stream, upstream, &*route, &*rewrite);
                });
            }
        });
        Proxy {
            base: format!("http://{addr}"),
            addr,
            stop,
            acceptor: Some(acceptor),
        }
    }

    /// A proxy that only rewrites answers.
    pub fn rewriting(
        upstream: SocketAddr,
        rewrite: impl Fn(&str, &mut Answer) + Send + Sync + 'static,
    ) -> Proxy {
        Self::start(upstream, str::to_owned, rewrite)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the acceptor so it sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

/// One parsed HTTP message head.
struct Head {
    start_line: String,
    headers: Vec<(String, String)>,
}

impl Head {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Reads until the end of the head; returns the head and whatever body bytes came with it.
fn read_head(stream: &mut TcpStream) -> std::io::Result<(Head, Vec<u8>)> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    let end = loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = parse_head(&buffer[..end]);
    Ok((head, buffer[end + 4..].to_vec()))
}

fn parse_head(bytes: &[u8]) -> Head {
    let text = String::from_utf8_lossy(bytes);
    let mut lines = text.split("\r\n");
    let start_line = lines.next().unwrap_or_default().to_owned();
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Head {
        start_line,
        headers,
    }
}

fn content_length(head: &Head) -> usize {
    head.header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Decodes a chunked body (trailers ignored).
fn dechunk(mut bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(line_end) = bytes.windows(2).position(|w| w == b"\r\n") {
        let size_text = String::from_utf8_lossy(&bytes[..line_end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("0").trim(), 16)
            .unwrap_or(0);
        bytes = &bytes[line_end + 2..];
        if size == 0 || bytes.len() < size {
            break;
        }
        out.extend_from_slice(&bytes[..size]);
        bytes = bytes.get(size + 2..).unwrap_or_default();
    }
    out
}

fn serve(
    mut client: TcpStream,
    upstream: SocketAddr,
    route: &Route,
    rewrite: &Rewrite,
) -> std::io::Result<()> {
    let (head, mut body) = read_head(&mut client)?;
    let wanted = content_length(&head);
    while body.len() < wanted {
        let mut chunk = vec![0u8; wanted - body.len()];
        let n = client.read(&mut chunk)?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    let mut parts = head.start_line.splitn(3, ' ');
    let method = parts.next().unwrap_or("GET").to_owned();
    let target = parts.next().unwrap_or("/").to_owned();

    // Forward with `Connection: close`, then read the whole answer.
    let mut request = format!("{method} {} HTTP/1.1\r\n", route(&target)).into_bytes();
    for (name, value) in &head.headers {
        if !name.eq_ignore_ascii_case("connection") {
            request.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
        }
    }
    request.extend_from_slice(b"Connection: close\r\n\r\n");
    request.extend_from_slice(&body);
    let mut server = TcpStream::connect(upstream)?;
    server.write_all(&request)?;
    let (response_head, mut rest) = read_head(&mut server)?;
    server.read_to_end(&mut rest)?;
    let body = if response_head
        .header("transfer-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
    {
        dechunk(&rest)
    } else {
        let length = response_head
            .header("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(rest.len());
        rest.truncate(length);
        rest
    };
    let status = response_head
        .start_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(502);
    let mut answer = Answer {
        status,
        body,
        declared_length: None,
    };
    rewrite(&target, &mut answer);

    let mut response = format!("HTTP/1.1 {} Proxied\r\n", answer.status).into_bytes();
    for (name, value) in &response_head.headers {
        if !["content-length", "transfer-encoding", "connection"]
            .iter()
            .any(|h| name.eq_ignore_ascii_case(h))
        {
            response.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
        }
    }
    let declared = answer.declared_length.unwrap_or(answer.body.len());
    response.extend_from_slice(
        format!("Content-Length: {declared}\r\nConnection: close\r\n\r\n").as_bytes(),
    );
    response.extend_from_slice(&answer.body);
    client.write_all(&response)?;
    client.flush()?;
    client.shutdown(Shutdown::Both)
}
