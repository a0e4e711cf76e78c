//! `offload`: the firmware team's tool for the reference model.
//!
//! `offload run [OPTIONS] SCRIPT` executes a script of SCSI commands (see `offload_model::script`) against
//! a fresh set of logical units or image files and prints one JSON answer per command.
//!
//! `offload perf --preset esxi --sweep max_outstanding_reads=1..8 --plot perf.svg` runs a workload on the
//! shared-port model at each point of a parameter sweep and prints a table (see `offload_model::perf`).

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use offload_model::config::{TargetConfig, UnitConfig};
use offload_model::scsi::Target;
use offload_model::{image, script};

#[derive(Parser)]
#[command(
    name = "offload",
    version,
    about = "Reference model of the SCSI offload block (VAAI: XCOPY, WRITE SAME, ATS)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Execute a script of SCSI commands (one JSON object a line; SCRIPT may be `-` for standard input).
    Run(RunArgs),
    /// Print the default target configuration as JSON (a starting point for --config).
    Config,
    /// Write the golden vectors (cases, coverage table, `$readmemh` exports) under DIR, or with --check
    /// compare DIR with what the model produces now and fail on any difference.
    Vectors(VectorsArgs),
    /// Run a workload on the shared-port timing model over a parameter sweep: a table of throughput,
    /// port utilisation and per-kind latency, and a plot.
    Perf(PerfArgs),
}

#[derive(clap::Args)]
struct PerfArgs {
    /// A workload file (JSON; see `offload_model::perf::workload`).
    #[arg(long, conflicts_with = "preset")]
    workload: Option<PathBuf>,
    /// A preset workload: esxi (two hosts cloning 4 MiB at a time, ATS heartbeats from both).
    #[arg(long, default_value = "esxi")]
    preset: String,
    /// The swept parameter and its values: NAME=V1,V2,… or NAME=LO..HI, NAME one of bus_bytes,
    /// burst_beats, max_outstanding_reads, queues, lock_entries, read_latency, write_latency.
    #[arg(long, default_value = "max_outstanding_reads=1..8")]
    sweep: offload_model::perf::Sweep,
    /// The clock the table's and plot's MB/s and µs assume.
    #[arg(long, default_value_t = 100.0)]
    clock_mhz: f64,
    /// Write the plot (SVG) here.
    #[arg(long)]
    plot: Option<PathBuf>,
    /// Print the workload file of the preset or --workload (a starting point for one of your own).
    #[arg(long)]
    print_workload: bool,
    /// Also run every cosim-checkable point in the RTL (`cosim workload`, beside this binary: `cargo
    /// build --release -p offload-cosim --features parameter-variants`) and fail unless the model
    /// predicts it.
    #[arg(long)]
    check: bool,
}

#[derive(clap::Args)]
struct VectorsArgs {
    /// The vectors directory.
    #[arg(default_value = "vectors")]
    dir: PathBuf,
    /// Compare instead of writing.
    #[arg(long)]
    check: bool,
}

/// Files under `dir/data` and `dir/memh` now (the generated part of the vectors directory), plus
/// `COVERAGE.md`, by relative path.
fn generated_files_on_disk(dir: &std::path::Path) -> Result<BTreeSet<String>, String> {
    let mut found = BTreeSet::new();
    let mut stack = vec![dir.join("data"), dir.join("memh")];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for entry in entries {
            let path = entry.map_err(|e| e.to_string())?.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(rel) = path.strip_prefix(dir) {
                found.insert(rel.to_string_lossy().into_owned());
            }
        }
    }
    if dir.join("COVERAGE.md").exists() {
        found.insert("COVERAGE.md".to_owned());
    }
    Ok(found)
}

fn vectors(args: VectorsArgs) -> Result<(), String> {
    let files = offload_model::vectors::files()
        .map_err(|missing| format!("required coverage bins not reached: {}", missing.join(", ")))?;
    let on_disk = generated_files_on_disk(&args.dir)?;
    let stale: Vec<&String> = on_disk.iter().filter(|f| !files.contains_key(*f)).collect();
    if args.check {
        let mut differences: Vec<String> = stale.iter().map(|f| format!("{f}: no longer generated")).collect();
        for (path, text) in &files {
            match std::fs::read_to_string(args.dir.join(path)) {
                Ok(current) if current == *text => {}
                Ok(_) => differences.push(format!("{path}: differs from what the model produces")),
                Err(_) => differences.push(format!("{path}: missing")),
            }
        }
        if !differences.is_empty() {
            return Err(format!(
                "the vectors are out of date ({} files); run `make vectors`:\n  {}",
                differences.len(),
                differences.join("\n  ")
            ));
        }
        eprintln!("offload: {} vector files match the model", files.len());
        return Ok(());
    }
    for f in stale {
        std::fs::remove_file(args.dir.join(f)).map_err(|e| format!("{f}: {e}"))?;
    }
    for (path, text) in &files {
        let full = args.dir.join(path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        std::fs::write(&full, text).map_err(|e| format!("{}: {e}", full.display()))?;
    }
    eprintln!("offload: wrote {} vector files under {}", files.len(), args.dir.display());
    Ok(())
}

#[derive(clap::Args)]
struct RunArgs {
    /// Script file, or `-` for standard input.
    script: PathBuf,
    /// A full target configuration (JSON, as printed by `offload config`); other unit options then apply
    /// only to image files.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Number of fresh logical units.
    #[arg(long, default_value_t = 2)]
    units: usize,
    /// Capacity of each fresh unit, e.g. 1GiB, 1TiB, 64MB (or a plain byte count).
    #[arg(long, default_value = "1GiB")]
    capacity: bytesize::ByteSize,
    /// Logical block size: 512 or 4096.
    #[arg(long, default_value_t = 512)]
    block_size: u32,
    /// Fully provisioned units (LBPME=0) instead of thin ones.
    #[arg(long)]
    thick: bool,
    /// Use a raw image file as a unit (repeatable; replaces the fresh units). Capacity is the file size.
    #[arg(long = "image")]
    images: Vec<PathBuf>,
    /// Write the blocks the script changed back into the image files.
    #[arg(long)]
    write_back: bool,
    /// Restrict an initiator to some LUNs: INITIATOR=LUN[,LUN...] (repeatable).
    #[arg(long = "access", value_parser = parse_access)]
    access: Vec<(String, BTreeSet<u16>)>,
    /// Initiators not named by --access reach no unit.
    #[arg(long)]
    deny_others: bool,
    /// Start with descriptor-format sense (the control page's D_SENSE=1).
    #[arg(long)]
    descriptor_sense: bool,
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

fn build_target(args: &RunArgs) -> Result<Target, String> {
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
        ..UnitConfig::default()
    };
    if args.config.is_none() {
        config.units = vec![template.clone(); args.units];
    }
    for (initiator, luns) in &args.access {
        config.access.grants.insert(initiator.clone(), luns.clone());
    }
    config.access.others_denied |= args.deny_others;
    config.descriptor_sense |= args.descriptor_sense;
    if args.images.is_empty() {
        return Target::new(config).map_err(|e| e.to_string());
    }
    let mut stores = Vec::new();
    config.units.clear();
    for path in &args.images {
        let unit = image::unit_config_for(path, &template).map_err(|e| e.to_string())?;
        stores.push(image::load(path, &unit).map_err(|e| e.to_string())?);
        config.units.push(unit);
    }
    Target::with_units(config, stores).map_err(|e| e.to_string())
}

fn run(args: RunArgs) -> Result<(), String> {
    let mut target = build_target(&args)?;
    let input: Box<dyn BufRead> = if args.script.as_os_str() == "-" {
        Box::new(io::stdin().lock())
    } else {
        let file = File::open(&args.script).map_err(|e| format!("{}: {e}", args.script.display()))?;
        Box::new(BufReader::new(file))
    };
    let (commands, checks) = script::run(&mut target, input, io::stdout().lock()).map_err(|e| e.to_string())?;
    eprintln!("offload: {commands} commands, {checks} with CHECK CONDITION, {} cycles", target.block.now());
    if args.write_back {
        for (path, store) in args.images.iter().zip(&target.memory.units) {
            let written = image::write_back(path, store).map_err(|e| e.to_string())?;
            eprintln!("offload: {}: {written} blocks written back", path.display());
        }
    }
    Ok(())
}

fn perf(args: PerfArgs) -> Result<(), String> {
    use offload_model::perf::{self, Workload};
    let workload = match &args.workload {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
            Workload::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?
        }
        None => Workload::preset(&args.preset).map_err(|e| e.to_string())?,
    };
    if args.print_workload {
        println!("{}", serde_json::to_string_pretty(&workload).expect("a workload serialises"));
        return Ok(());
    }
    if !(args.clock_mhz > 0.0 && args.clock_mhz.is_finite()) {
        return Err(format!("--clock-mhz {}: want a clock above 0", args.clock_mhz));
    }
    let base = offload_model::timing::TimingParams::default();
    let bar = indicatif::ProgressBar::new(args.sweep.values.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} points {elapsed_precise} (eta {eta}) {msg}")
            .expect("a valid template"),
    );
    let mut points = Vec::new();
    for &value in &args.sweep.values {
        bar.set_message(format!("{} = {value}", args.sweep.param.name()));
        points.push(perf::run_point(&workload, &base, args.sweep.param, value).map_err(|e| e.to_string())?);
        bar.inc(1);
    }
    bar.finish_and_clear();
    println!("workload {}: {} queues, sweep {}\n", workload.name, workload.queues.len(), args.sweep.param.name());
    println!("{}", perf::table(&args.sweep, &points, args.clock_mhz));
    if let Some(path) = &args.plot {
        let title = format!("offload perf: workload {}, sweep {}", workload.name, args.sweep.param.name());
        perf::plot::svg(path, &title, &args.sweep, &points, args.clock_mhz).map_err(|e| e.to_string())?;
        eprintln!("offload: plot written to {}", path.display());
    }
    if args.check {
        check_points(&workload, &args.sweep, &points)?;
    }
    Ok(())
}

/// Runs each checkable point of `points` in the RTL through `cosim workload`: the workload's jobs,
/// every grant and completion held to the shared-port model.
fn check_points(
    workload: &offload_model::perf::Workload,
    sweep: &offload_model::perf::Sweep,
    points: &[offload_model::perf::Point],
) -> Result<(), String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let cosim = exe.with_file_name("cosim");
    if !cosim.exists() {
        return Err(format!(
            "--check needs {} (cargo build --release -p offload-cosim --features parameter-variants)",
            cosim.display()
        ));
    }
    let file = std::env::temp_dir().join(format!("offload-perf-{}.json", std::process::id()));
    let text = serde_json::to_string_pretty(workload).expect("a workload serialises");
    std::fs::write(&file, text).map_err(|e| format!("{}: {e}", file.display()))?;
    let mut failed = Vec::new();
    for p in points.iter().filter(|p| p.checkable) {
        let t = &p.params;
        println!("\n{} = {}: in the RTL (cosim workload)\n", sweep.param.name(), p.value);
        let status = std::process::Command::new(&cosim)
            .arg("workload")
            .arg("--workload")
            .arg(&file)
            .args(["--queues", &t.queues.to_string(), "--lock-entries", &t.lock_entries.to_string()])
            .args(["--latency", &format!("{}:{}", t.read_latency, t.write_latency), "--timing-gate"])
            .args(["--expect-cycles", &p.cycles.to_string()])
            .status()
            .map_err(|e| format!("{}: {e}", cosim.display()))?;
        match status.code() {
            Some(0) => {}
            // Not a disagreement: cosim could not run the point (it said why).
            Some(2) => return Err(format!("--check: cosim could not run {} = {}", sweep.param.name(), p.value)),
            _ => failed.push(p.value.to_string()),
        }
    }
    let _ = std::fs::remove_file(&file);
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!("--check: the RTL run differs from the model at {} = {}", sweep.param.name(), failed.join(", ")))
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run(args),
        Command::Vectors(args) => vectors(args),
        Command::Perf(args) => perf(args),
        Command::Config => {
            println!("{}", serde_json::to_string_pretty(&TargetConfig::default()).expect("config serialises"));
            Ok(())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("offload: {message}");
            ExitCode::FAILURE
        }
    }
}
