//! The loopback floor of the ATS heartbeat load, for `make iscsi-bench`: N client connections, each a
//! strict request/response ping-pong of heartbeat-sized messages against an echo server on 127.0.0.1
//! that does no SCSI work at all. What the heartbeat rows of the bench are compared with: no target can
//! answer N blocking connections faster than this machine's loopback and scheduler let a server that
//! does nothing answer them.
//!
//! One message pair is one COMPARE AND WRITE of one 512-byte block as the kit's initiator sends it: a
//! request of a 48-byte header (BHS) and 1024 bytes of immediate data (the block to verify and the block
//! to write), and a 48-byte response (a SCSI Response PDU without sense).
//!
//! The clients drive the connections exactly as `load --op heartbeat` drives its sessions: one thread
//! per connection in this process, one request outstanding, all started by one barrier and stopped by one
//! flag after `--seconds`. The server runs in a second process (as `offload-iscsi serve` does), started
//! from this same executable with `--serve`; it ends when this process closes its standard input. Two
//! server shapes:
//!
//! - `threads`: a thread per connection, buffered reads and writes;
//! - `epoll`: as many threads as the machine has cores, each an epoll loop over non-blocking sockets
//!   (level-triggered), connections dealt to them in turn: the shape of `offload-iscsi serve`.
//!
//! Prints one line of `key=value` results with the fields of the heartbeat's: ops/s, latency p50, p99
//! and max (hdrhistogram), and fairness (the slowest connection's ops / the mean).
//!
//! ```sh
//! cargo run --release -p offload-iscsi --example pingpong -- --shape threads --connections 64 --seconds 3
//! ```

use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::Instant;

use clap::{Parser, ValueEnum};
use hdrhistogram::Histogram;
use rustix::event::{Timespec, epoll};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Shape {
    /// A thread per connection.
    Threads,
    /// An epoll loop per core.
    Epoll,
}

impl Shape {
    /// The name `--shape` takes.
    fn name(self) -> &'static str {
        match self {
            Shape::Threads => "threads",
            Shape::Epoll => "epoll",
        }
    }
}

#[derive(Parser)]
#[command(about = "loopback ping-pong floor of the ATS heartbeat load (make iscsi-bench)")]
struct Args {
    #[arg(long, value_enum, default_value_t = Shape::Threads)]
    shape: Shape,
    #[arg(long, default_value_t = 8)]
    connections: u16,
    #[arg(long, default_value_t = 3.0)]
    seconds: f64,
    /// Data bytes after each request's header: a COMPARE AND WRITE of one 512-byte block carries two.
    #[arg(long, default_value_t = 1024)]
    data_bytes: u32,
    /// Run the server's threads at this real-time priority (SCHED_FIFO 1–99), as `offload-iscsi serve
    /// --loop-priority` runs its loops: the floor of a target run that way.
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=99))]
    loop_priority: Option<u8>,
    /// Internal: be the echo server (prints `port=N`, serves until standard input closes).
    #[arg(long, hide = true)]
    serve: bool,
}

/// Puts the calling server thread under SCHED_FIFO at `priority`, if given, as serve puts its loops.
fn real_time(priority: Option<u8>) -> io::Result<()> {
    priority.map_or(Ok(()), offload_iscsi::target::real_time_priority)
}

mod closed_loop;
use closed_loop::{Clock, Error, fairness, latency_histogram, quantiles_us, record_since};

/// An iSCSI Basic Header Segment's length: every request and response starts with one.
const HEADER: usize = 48;
/// The opcodes the messages carry, so that a capture reads like iSCSI: SCSI Command, SCSI Response.
const REQUEST_OPCODE: u8 = 0x01;
const RESPONSE_OPCODE: u8 = 0x21;

/// A request's data segment length (bytes 5..8 of the header, 24 bits), padded to 4 bytes as iSCSI pads.
fn data_length(header: &[u8]) -> usize {
    let n = usize::from(header[5]) << 16 | usize::from(header[6]) << 8 | usize::from(header[7]);
    n.next_multiple_of(4)
}

/// The response to a request header: the same Initiator Task Tag (bytes 16..20), status GOOD.
fn response(request: &[u8]) -> [u8; HEADER] {
    let mut r = [0u8; HEADER];
    r[0] = RESPONSE_OPCODE;
    r[1] = 0x80; // Final
    r[16..20].copy_from_slice(&request[16..20]);
    r
}

// ---- the server process -------------------------------------------------------------------------

/// Serves on an ephemeral loopback port until standard input closes.
fn serve(shape: Shape, priority: Option<u8>) -> Result<(), Error> {
    // A priority the server's threads cannot have fails here, before the port is announced.
    std::thread::spawn(move || real_time(priority).map_err(|e| e.to_string()))
        .join()
        .map_err(|_| "the priority probe panicked")??;
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    println!("port={}", listener.local_addr()?.port());
    io::stdout().flush()?;
    // The client process holds our standard input: its end (however it ends) ends the server.
    std::thread::spawn(|| {
        let _ = io::copy(&mut io::stdin(), &mut io::sink());
        std::process::exit(0);
    });
    match shape {
        Shape::Threads => serve_threads(listener, priority),
        Shape::Epoll => serve_epoll(listener, priority),
    }
}

fn serve_threads(listener: TcpListener, priority: Option<u8>) -> Result<(), Error> {
    for stream in listener.incoming() {
        let stream = stream?;
        std::thread::spawn(move || -> Result<(), Error> {
            real_time(priority)?;
            Ok(echo_blocking(stream)?)
        });
    }
    Ok(())
}

/// One connection on its own thread: read a request, answer it, until the client closes.
fn echo_blocking(stream: TcpStream) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let mut reader = BufReader::with_capacity(256 * 1024, stream.try_clone()?);
    let mut writer = BufWriter::new(stream);
    let mut header = [0u8; HEADER];
    let mut data = Vec::new();
    loop {
        if let Err(e) = reader.read_exact(&mut header) {
            return if e.kind() == io::ErrorKind::UnexpectedEof { Ok(()) } else { Err(e) };
        }
        data.resize(data_length(&header), 0);
        reader.read_exact(&mut data)?;
        writer.write_all(&response(&header))?;
        writer.flush()?;
    }
}

/// The main thread accepts and deals the connections to the loops in turn; a loop picks new ones up
/// whenever it wakes (at the latest every [`PICK_UP`]).
fn serve_epoll(listener: TcpListener, priority: Option<u8>) -> Result<(), Error> {
    // As many loops as this machine has cores, as offload-iscsi serve has.
    let count = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut loops = Vec::new();
    for _ in 0..count {
        let (send, receive) = mpsc::channel::<TcpStream>();
        std::thread::spawn(move || {
            real_time(priority)?;
            event_loop(receive)
        });
        loops.push(send);
    }
    for (i, stream) in listener.incoming().enumerate() {
        loops[i % count].send(stream?)?;
    }
    Ok(())
}

/// How long an idle loop waits before it looks for new connections.
const PICK_UP: Timespec = Timespec { tv_sec: 0, tv_nsec: 5_000_000 };

/// One non-blocking connection of an epoll loop: bytes received and not yet answered, responses not yet
/// sent.
struct Connection {
    stream: TcpStream,
    received: Vec<u8>,
    unsent: Vec<u8>,
    /// Registered for room to write as well (responses were queued when the socket was full).
    waits_to_write: bool,
}

impl Connection {
    /// Reads what the socket holds and queues a response per complete request. `false`: the client
    /// closed the connection (or it failed).
    fn receive(&mut self) -> bool {
        let mut buffer = [0u8; 16 * 1024];
        loop {
            match self.stream.read(&mut buffer) {
                Ok(0) => return false,
                Ok(n) => self.received.extend_from_slice(&buffer[..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return false,
            }
        }
        let mut at = 0;
        while self.received.len() - at >= HEADER {
            let length = HEADER + data_length(&self.received[at..]);
            if self.received.len() - at < length {
                break;
            }
            let r = response(&self.received[at..at + HEADER]);
            self.unsent.extend_from_slice(&r);
            at += length;
        }
        self.received.drain(..at);
        true
    }

    /// Writes what it can of the queued responses. `false`: the connection failed.
    fn send(&mut self) -> bool {
        while !self.unsent.is_empty() {
            match self.stream.write(&self.unsent) {
                Ok(n) => drop(self.unsent.drain(..n)),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return false,
            }
        }
        true
    }
}

fn event_loop(incoming: mpsc::Receiver<TcpStream>) -> Result<(), Error> {
    let poller = epoll::create(epoll::CreateFlags::CLOEXEC)?;
    let mut connections: Vec<Option<Connection>> = Vec::new();
    let mut events = Vec::with_capacity(256);
    loop {
        while let Ok(stream) = incoming.try_recv() {
            stream.set_nonblocking(true)?;
            stream.set_nodelay(true)?;
            let slot = connections.iter().position(Option::is_none).unwrap_or(connections.len());
            epoll::add(&poller, &stream, epoll::EventData::new_u64(slot as u64), epoll::EventFlags::IN)?;
            let c = Connection { stream, received: Vec::new(), unsent: Vec::new(), waits_to_write: false };
            if slot == connections.len() {
                connections.push(Some(c));
            } else {
                connections[slot] = Some(c);
            }
        }
        events.clear();
        match epoll::wait(&poller, rustix::buffer::spare_capacity(&mut events), Some(&PICK_UP)) {
            Ok(_) => {}
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => return Err(e.into()),
        }
        for event in events.drain(..) {
            let slot = event.data.u64() as usize;
            let Some(c) = connections.get_mut(slot).and_then(Option::as_mut) else { continue };
            let alive = c.receive() && c.send();
            if !alive {
                epoll::delete(&poller, &c.stream)?;
                connections[slot] = None;
                continue;
            }
            // Wait for room to write only while responses are queued (level-triggered, OUT would wake the
            // loop for ever); one epoll_ctl only when that changes.
            let wait_to_write = !c.unsent.is_empty();
            if wait_to_write != c.waits_to_write {
                let flags =
                    if wait_to_write { epoll::EventFlags::IN | epoll::EventFlags::OUT } else { epoll::EventFlags::IN };
                epoll::modify(&poller, &c.stream, epoll::EventData::new_u64(slot as u64), flags)?;
                c.waits_to_write = wait_to_write;
            }
        }
    }
}

// ---- the client side ----------------------------------------------------------------------------

/// The server process; dropping it closes its standard input, which ends it, and reaps it.
struct Server {
    child: Child,
    stdin: Option<ChildStdin>,
    port: u16,
}

impl Server {
    fn start(shape: Shape, priority: Option<u8>) -> Result<Server, Error> {
        let mut command = Command::new(std::env::current_exe()?);
        command.args(["--serve", "--shape", shape.name()]);
        if let Some(p) = priority {
            command.args(["--loop-priority", &p.to_string()]);
        }
        let mut child = command.stdin(Stdio::piped()).stdout(Stdio::piped()).spawn()?;
        let stdin = child.stdin.take();
        let mut line = String::new();
        let stdout = child.stdout.take().ok_or("the server's standard output")?;
        BufReader::new(stdout).read_line(&mut line)?;
        let port = line.trim().strip_prefix("port=").and_then(|p| p.parse().ok());
        let Some(port) = port else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("the server did not say its port: {line:?}").into());
        };
        Ok(Server { child, stdin, port })
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
}

/// What one connection did.
struct Pongs {
    ops: u64,
    latency_ns: Histogram<u64>,
}

/// One connection's ping-pong until `stop`: send a request, wait for its response.
fn ping(stream: TcpStream, data_bytes: u32, clock: &Clock) -> Result<Pongs, Error> {
    stream.set_nodelay(true)?;
    let mut reader = BufReader::with_capacity(256 * 1024, stream.try_clone()?);
    let mut writer = stream;
    let mut request = vec![0u8; HEADER + data_bytes as usize];
    request[0] = REQUEST_OPCODE;
    request[1] = 0x80; // Final
    request[5..8].copy_from_slice(&data_bytes.to_be_bytes()[1..]);
    let mut answer = [0u8; HEADER];
    let mut pongs = Pongs { ops: 0, latency_ns: latency_histogram()? };
    clock.start();
    let mut tag = 0u32;
    while clock.running() {
        tag = tag.wrapping_add(1);
        request[16..20].copy_from_slice(&tag.to_be_bytes());
        let sent = Instant::now();
        writer.write_all(&request)?;
        reader.read_exact(&mut answer)?;
        record_since(&mut pongs.latency_ns, sent);
        if answer[0] != RESPONSE_OPCODE || answer[16..20] != tag.to_be_bytes() {
            return Err(format!("response {:02x?} does not answer request {tag}", &answer[..20]).into());
        }
        pongs.ops += 1;
    }
    Ok(pongs)
}

fn run(args: &Args) -> Result<(), Error> {
    let server = Server::start(args.shape, args.loop_priority)?;
    let streams: Vec<TcpStream> = (0..args.connections)
        .map(|_| TcpStream::connect((Ipv4Addr::LOCALHOST, server.port)))
        .collect::<Result<_, _>>()?;
    let clock = Clock::new(streams.len());
    let mut workers = Vec::new();
    for stream in streams {
        let (clock, data_bytes) = (clock.clone(), args.data_bytes);
        workers.push(std::thread::spawn(move || ping(stream, data_bytes, &clock)));
    }
    let (all, seconds) = clock.run(workers, args.seconds)?;
    drop(server);
    let mut latency = latency_histogram()?;
    for p in &all {
        latency.add(&p.latency_ns)?;
    }
    let ops: u64 = all.iter().map(|p| p.ops).sum();
    let (p50_us, p99_us, max_us) = quantiles_us(&latency);
    println!(
        "op=pingpong shape={} connections={} request_bytes={} response_bytes={HEADER} ops={ops} seconds={seconds:.6} \
         ops_per_s={:.0} p50_us={:.1} p99_us={:.1} max_us={:.1} fairness={:.2}",
        args.shape.name(),
        all.len(),
        HEADER + args.data_bytes as usize,
        ops as f64 / seconds,
        p50_us,
        p99_us,
        max_us,
        fairness(&all.iter().map(|p| p.ops).collect::<Vec<_>>()),
    );
    Ok(())
}

fn main() -> Result<(), Error> {
    let args = Args::parse();
    if args.data_bytes >= 1 << 24 {
        return Err("--data-bytes must fit the header's 24-bit data segment length".into());
    }
    if args.serve { serve(args.shape, args.loop_priority) } else { run(&args) }
}
