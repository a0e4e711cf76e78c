//! `offload-iscsi serve`: the offload block as an iSCSI target.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use offload_iscsi::backend::{self, BackendKind, Media};
use offload_iscsi::target::{AuthConfig, DEFAULT_TARGET_NAME, Reloader, Settings, Target};
use offload_iscsi::text::Policy;
use offload_model::config::{TargetConfig, UnitConfig};
use signal_hook::consts::SIGHUP;
use signal_hook::iterator::Signals;

#[derive(Parser)]
#[command(name = "offload-iscsi", version, about = "iSCSI target (RFC 7143) serving the offload model or fast path")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve logical units over iSCSI until interrupted.
    Serve(Box<ServeArgs>),
    /// Print a new random CHAP secret: 128 random bits as 32 hex digits (RFC 7143 §9.2.1 asks for a
    /// way to generate random secrets).
    ChapSecret,
}

/// A unit given as KIND[:CAPACITY], e.g. `thick:128MiB`.
#[derive(Clone, Debug)]
struct UnitSpec {
    thin: bool,
    capacity: Option<bytesize::ByteSize>,
}

fn parse_unit(text: &str) -> Result<UnitSpec, String> {
    let (kind, capacity) = match text.split_once(':') {
        Some((k, c)) => (k, Some(c.parse::<bytesize::ByteSize>().map_err(|e| format!("capacity {c:?}: {e}"))?)),
        None => (text, None),
    };
    let thin = match kind {
        "thin" => true,
        "thick" => false,
        other => return Err(format!("unit kind {other:?}: expected thin or thick")),
    };
    Ok(UnitSpec { thin, capacity })
}

fn parse_access(text: &str) -> Result<(String, BTreeSet<u16>), String> {
    let (initiator, luns) = text.split_once('=').ok_or("expected INITIATOR=LUN[,LUN...]")?;
    let luns = luns
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|s| s.trim().parse::<u16>().map_err(|e| format!("LUN {s:?}: {e}")))
        .collect::<Result<_, _>>()?;
    Ok((initiator.to_owned(), luns))
}

#[derive(clap::Args, Clone)]
struct ServeArgs {
    /// Portal address.
    #[arg(long, default_value = "127.0.0.1:3260")]
    listen: SocketAddr,
    /// The target's iSCSI name.
    #[arg(long, default_value = DEFAULT_TARGET_NAME)]
    target_name: String,
    /// Execution back end: the reference model, or the software fast path (with the model serving the
    /// commands the fast path does not implement).
    #[arg(long, value_enum, default_value = "model")]
    backend: BackendKind,
    /// A full target configuration (JSON, as `offload config` prints it). Re-read on SIGHUP: unit
    /// capacities (of memory units) and the access map change live, announced to the initiators by unit
    /// attentions (2A/09, 3F/0E); a configuration that changes anything else is refused whole, with the
    /// reason in the log.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Number of fresh logical units.
    #[arg(long, default_value_t = 2)]
    units: usize,
    /// Capacity of each fresh unit (and of an image file that does not exist yet).
    #[arg(long, default_value = "1GiB")]
    capacity: bytesize::ByteSize,
    /// Logical block size: 512 or 4096.
    #[arg(long, default_value_t = 512)]
    block_size: u32,
    /// Fully provisioned units (LBPME=0) instead of thin ones.
    #[arg(long)]
    thick: bool,
    /// Logical blocks per physical block as a power of two (READ CAPACITY (16) LOGICAL BLOCKS PER
    /// PHYSICAL BLOCK EXPONENT): 3 gives 512-byte blocks on 4 KiB physical blocks.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=15))]
    physical_block_exponent: u8,
    /// Units start with the write cache disabled (caching mode page WCE=0): every writing command is
    /// synced to its image before GOOD. By default WCE=1: SYNCHRONIZE CACHE and FUA writes sync.
    #[arg(long)]
    no_write_cache: bool,
    /// One unit per use, in LUN order: thin or thick, optionally with a capacity (`thick:128MiB`).
    /// Replaces --units, --thick and --capacity.
    #[arg(long = "unit", value_parser = parse_unit)]
    unit_specs: Vec<UnitSpec>,
    /// A raw image file as a unit (repeatable; replaces the fresh units), written through as blocks
    /// change. A missing file is created sparse with --capacity.
    #[arg(long = "image")]
    images: Vec<PathBuf>,
    /// CHAP accounts (JSON): per initiator name a CHAP user name and secret, optionally the target's
    /// mutual user name and secret, and a default account; see the README. Secrets belong in this file,
    /// never on the command line.
    #[arg(long)]
    auth: Option<PathBuf>,
    /// Restrict an initiator to some LUNs: INITIATOR=LUN[,LUN...] (repeatable).
    #[arg(long = "access", value_parser = parse_access)]
    access: Vec<(String, BTreeSet<u16>)>,
    /// Initiators not named by --access reach no unit (and cannot log in).
    #[arg(long)]
    deny_others: bool,
    /// Start with descriptor-format sense (the control page's D_SENSE=1).
    #[arg(long)]
    descriptor_sense: bool,
    /// No POWER ON, RESET, OR BUS DEVICE RESET OCCURRED unit attention for a new I_T nexus. By default a
    /// new session finds it pending on every unit, as on a real target (hosts clear it, e.g. with TEST
    /// UNIT READY, after login).
    #[arg(long)]
    no_power_on_unit_attention: bool,
    /// Require R2T for all write data (InitialR2T=Yes).
    #[arg(long)]
    initial_r2t: bool,
    /// Refuse immediate data (ImmediateData=No).
    #[arg(long)]
    no_immediate_data: bool,
    /// Largest burst the target accepts (MaxBurstLength).
    #[arg(long, default_value_t = Policy::default().max_burst_length)]
    max_burst_length: u32,
    /// Largest unsolicited burst (FirstBurstLength).
    #[arg(long, default_value_t = Policy::default().first_burst_length)]
    first_burst_length: u32,
    /// Largest data segment the target receives (its declared MaxRecvDataSegmentLength).
    #[arg(long, default_value_t = Policy::default().max_recv_data_segment_length)]
    max_recv_data_segment_length: u32,
    /// Refuse CRC32C digests.
    #[arg(long)]
    no_digests: bool,
    /// Commands an initiator may have outstanding (the CmdSN window).
    #[arg(long, default_value_t = 128)]
    queue_depth: u32,
    /// Connections served at once (tasks on the worker loops); more are closed on arrival. An ESXi
    /// cluster's ATS heartbeats are one session per host and path.
    #[arg(long, default_value_t = Settings::default().max_connections)]
    max_connections: usize,
    /// Run the worker loops (one per core) at this real-time priority, SCHED_FIFO 1–99 (needs
    /// CAP_SYS_NICE): a loop is then not preempted by the initiator threads it wakes on the same cores.
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=99))]
    loop_priority: Option<u8>,
    /// Write the target's counters (commands by name and outcome, bytes, connections, logins) to this
    /// JSON file after every command and closed connection.
    #[arg(long)]
    counters: Option<PathBuf>,
    /// Log every PDU.
    #[arg(short, long)]
    verbose: bool,
    /// Log nothing but fatal errors.
    #[arg(short, long)]
    quiet: bool,
}

/// The target configuration the arguments (and the --config file they name) describe, and the unit an
/// image file that does not exist yet is created as.
fn target_config(args: &ServeArgs) -> Result<(TargetConfig, UnitConfig), String> {
    let mut config = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
            serde_json::from_str::<TargetConfig>(&text).map_err(|e| format!("{}: {e}", path.display()))?
        }
        None => TargetConfig::default(),
    };
    if !offload_model::config::SUPPORTED_BLOCK_SIZES.contains(&args.block_size) {
        return Err(format!("block size {} is not one of 512 or 4096", args.block_size));
    }
    let template = UnitConfig {
        blocks: args.capacity.as_u64() / u64::from(args.block_size),
        block_size: args.block_size,
        thin: !args.thick,
        logical_blocks_per_physical_block_exponent: args.physical_block_exponent,
        write_cache: !args.no_write_cache,
        ..UnitConfig::default()
    };
    if !args.unit_specs.is_empty() {
        config.units = args
            .unit_specs
            .iter()
            .map(|s| UnitConfig {
                thin: s.thin,
                blocks: s.capacity.map_or(template.blocks, |c| c.as_u64() / u64::from(args.block_size)),
                ..template.clone()
            })
            .collect();
    } else if args.config.is_none() {
        config.units = vec![template.clone(); args.units];
    }
    for (initiator, luns) in &args.access {
        config.access.grants.insert(initiator.clone(), luns.clone());
    }
    config.access.others_denied |= args.deny_others;
    config.descriptor_sense |= args.descriptor_sense;
    config.power_on_unit_attention = !args.no_power_on_unit_attention;
    Ok((config, template))
}

/// Re-reads the configuration on every SIGHUP and applies what can change live (see `--config`). With
/// image files the units are the files: only the access map can change.
fn reload_on_hangup(args: ServeArgs, reloader: Reloader) -> Result<(), String> {
    let mut signals = Signals::new([SIGHUP]).map_err(|e| format!("SIGHUP: {e}"))?;
    let reload = move || {
        for _ in signals.forever() {
            match target_config(&args) {
                Ok((mut config, _)) => {
                    config.name_designators(&args.target_name);
                    if !args.images.is_empty() {
                        config.units = reloader.config().units;
                    }
                    // The reloader logs what changed, or why nothing did.
                    let _ = reloader.reload(&config);
                }
                Err(why) => eprintln!("offload-iscsi: reload refused, nothing changed: {why}"),
            }
        }
    };
    std::thread::Builder::new().name("reload".into()).spawn(reload).map_err(|e| format!("reload thread: {e}"))?;
    Ok(())
}

/// glibc's memcpy stores non-temporally — writing each destination line without reading it first — only
/// above a threshold it derives from the cache sizes: 99 MiB on the bench's machine, so a 4 MiB
/// EXTENDED COPY segment (or a 4 MiB READ's data-in) moved at half of memory speed. The threshold is a
/// glibc tunable, read when a process starts: `serve` runs itself again, once, with it lowered to
/// [`STREAM_FROM`] bytes, unless the environment already sets it.
#[cfg(all(target_os = "linux", target_env = "gnu", target_arch = "x86_64"))]
fn stream_large_copies() {
    use std::os::unix::process::CommandExt;
    const TUNABLE: &str = "glibc.cpu.x86_non_temporal_threshold";
    const STREAM_FROM: u32 = 1 << 20;
    let set = std::env::var("GLIBC_TUNABLES").unwrap_or_default();
    if set.split(':').any(|t| t.starts_with(&format!("{TUNABLE}="))) {
        return;
    }
    let ours = format!("{TUNABLE}={STREAM_FROM:#x}");
    let tunables = if set.is_empty() { ours } else { format!("{set}:{ours}") };
    let again = std::env::current_exe().map(|exe| {
        std::process::Command::new(exe).args(std::env::args_os().skip(1)).env("GLIBC_TUNABLES", tunables).exec()
    });
    // `exec` returns only when it failed: serve on, with glibc's own threshold.
    let why = match again {
        Ok(error) | Err(error) => error,
    };
    eprintln!("offload-iscsi: cannot run again with {TUNABLE} set ({why}); large copies will not stream");
}

#[cfg(not(all(target_os = "linux", target_env = "gnu", target_arch = "x86_64")))]
fn stream_large_copies() {}

fn serve(args: ServeArgs) -> Result<(), String> {
    stream_large_copies();
    let (config, template) = target_config(&args)?;
    let media =
        if args.images.is_empty() { Media::Memory } else { Media::Images { paths: args.images.clone(), template } };
    let auth = match &args.auth {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
            let (auth, warnings) = AuthConfig::from_json(&text).map_err(|e| format!("{}: {e}", path.display()))?;
            for warning in warnings {
                eprintln!("offload-iscsi: {}: warning: {warning}", path.display());
            }
            auth
        }
        None => AuthConfig::default(),
    };
    let backend = backend::build(args.backend, config, &media, &args.target_name).map_err(|e| e.to_string())?;
    let settings = Settings {
        listen: args.listen,
        target_name: args.target_name.clone(),
        policy: Policy {
            initial_r2t: args.initial_r2t,
            immediate_data: !args.no_immediate_data,
            max_burst_length: args.max_burst_length,
            first_burst_length: args.first_burst_length,
            max_recv_data_segment_length: args.max_recv_data_segment_length,
            crc32c: !args.no_digests,
            ..Policy::default()
        },
        auth,
        queue_depth: args.queue_depth.max(1),
        max_connections: args.max_connections.max(1),
        loop_priority: args.loop_priority,
        counters_file: args.counters.clone(),
        verbosity: if args.quiet {
            0
        } else if args.verbose {
            2
        } else {
            1
        },
        ..Settings::default()
    };
    let target = Target::bind(settings, backend).map_err(|e| format!("{}: {e}", args.listen))?;
    reload_on_hangup(args, target.reloader())?;
    target.run().map_err(|e| e.to_string())
}

fn chap_secret() -> Result<(), String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| format!("no random bytes: {e}"))?;
    println!("{}", hex::encode(bytes));
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => serve(*args),
        Command::ChapSecret => chap_secret(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("offload-iscsi: {message}");
            ExitCode::FAILURE
        }
    }
}
