//! `hlc`, the command-line front end: argument parsing, the pipeline wiring
//! (load → eval → decode → check → render → out), diagnostics output and exit codes.
//!
//! Exit codes: 0 success (warnings allowed); 1 the configuration or `out/` has errors;
//! 2 usage, I/O or internal failure. stdout carries data only; diagnostics go to stderr.

mod commands;
mod evalcache;
mod fastpath;
mod gate;
mod output;
mod pipeline;
mod project;
mod secrets_cmd;
mod secrets_stage;
mod talos;
mod timings;

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "hlc",
    version,
    about = "A pure configuration compiler for homelabs"
)]
struct Cli {
    /// Project root (default: the nearest ancestor of the current directory holding configs/main.ncl)
    #[arg(long, global = true, value_name = "DIR")]
    root: Option<PathBuf>,
    /// Print the wall time of each phase (load, eval, decode, check, render, write…) to stderr
    #[arg(long, global = true)]
    timings: bool,
    /// The date suppressions' `expires` are compared with (hlc never reads the clock); without it expiry is not checked
    #[arg(long, global = true, value_name = "YYYY-MM-DD")]
    date: Option<String>,
    #[command(subcommand)]
    command: Command,
}

/// How diagnostics are printed.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum DiagFormat {
    Human,
    Json,
    /// SARIF 2.1.0 on stdout (GitHub code scanning)
    Sarif,
    /// GitHub Actions workflow commands (`::error file=…,line=…::`) on stdout
    Github,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum GraphFormat {
    Dot,
    Mermaid,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Evaluate, check and render the configuration into out/
    Build {
        /// Write nothing; exit 1 if out/ differs from what the build would write, listing the paths
        #[arg(long)]
        check: bool,
        #[arg(long, value_enum, default_value = "human")]
        format: DiagFormat,
    },
    /// Evaluate and run every rule, and verify out/ against out/hlc.lock (no key needed)
    Check {
        #[arg(long, value_enum, default_value = "human")]
        format: DiagFormat,
    },
    /// Print the evaluated configuration (as JSON), or the value at a config path
    Eval {
        /// A config path such as `services.grafana`
        path: Option<String>,
        #[arg(long, value_enum, default_value = "human")]
        format: DiagFormat,
    },
    /// Print the reference and dependency graph
    Graph {
        #[arg(long, value_enum, default_value = "dot")]
        format: GraphFormat,
    },
    /// Show what `hlc build` would change in out/, file by file
    Diff {
        #[arg(long, value_enum, default_value = "human")]
        format: DiagFormat,
    },
    /// Explain a rule (`hlc explain HLC304`) or where an out/ file came from (`hlc explain out/inventory.json`)
    Explain { what: String },
    /// List the rules
    Rules,
    /// Manage secrets: age keys, values under configs/secrets/ (SOPS), rotation
    #[command(subcommand)]
    Secrets(SecretsCommand),
}

#[derive(Subcommand)]
enum SecretsCommand {
    /// Generate an age identity (never overwrites) and print its recipient; or, with --sops-yaml, write the project root's .sops.yaml
    Init {
        /// Where to write the key (default: $SOPS_AGE_KEY_FILE, else sops's ~/.config/sops/age/keys.txt)
        #[arg(long, value_name = "PATH")]
        key_file: Option<PathBuf>,
        /// Mark the key TEST ONLY (a demo key committed with a lab, used without configuration)
        #[arg(long)]
        demo: bool,
        /// Write <root>/.sops.yaml (creation rules for configs/secrets/ and out/) instead of a key
        #[arg(long, conflicts_with_all = ["key_file", "demo"])]
        sops_yaml: bool,
        /// `hlc secrets init talos CLUSTER`: a Talos cluster's secrets bundle (issue 5)
        #[command(subcommand)]
        target: Option<talos::InitTarget>,
    },
    /// Set a secret's value from stdin (one trailing newline dropped), encrypting its file for the lab's recipients
    Set { name: String },
    /// Print a secret's value to stdout
    Get { name: String },
    /// Decrypt a file of configs/secrets/ into $EDITOR and re-encrypt it
    Edit { file: PathBuf },
    /// Re-encrypt every file of configs/secrets/ for the current recipients, then build
    Rotate {
        /// Also replace the data key of files whose recipients did not change
        #[arg(long)]
        new_data_key: bool,
    },
}

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    output::install_panic_hook();
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let result = std::panic::catch_unwind(|| run(cli));
    match result {
        Ok(code) => ExitCode::from(code),
        Err(_) => ExitCode::from(2),
    }
}

fn run(cli: Cli) -> u8 {
    let root = cli.root.clone();
    if let Err(m) = gate::set_date(cli.date.as_deref()) {
        eprintln!("error: {m}");
        return 2;
    }
    if cli.timings {
        timings::enable();
    }
    let code = match cli.command {
        Command::Build { check, format } => commands::build(root, check, format),
        Command::Check { format } => commands::check(root, format),
        Command::Eval { path, format } => commands::eval(root, path, format),
        Command::Graph { format } => commands::graph(root, format),
        Command::Diff { format } => commands::diff(root, format),
        Command::Explain { what } => commands::explain(root, &what),
        Command::Rules => commands::rules(),
        Command::Secrets(s) => match s {
            SecretsCommand::Init {
                target:
                    Some(talos::InitTarget::Talos {
                        cluster,
                        force,
                        recipient,
                    }),
                ..
            } => talos::init_secrets(root, &cluster, force, &recipient),
            SecretsCommand::Init {
                key_file,
                demo,
                sops_yaml,
                target: None,
            } => secrets_cmd::init(root, key_file, demo, sops_yaml),
            SecretsCommand::Set { name } => secrets_cmd::set(root, &name),
            SecretsCommand::Get { name } => secrets_cmd::get(root, &name),
            SecretsCommand::Edit { file } => secrets_cmd::edit(root, &file),
            SecretsCommand::Rotate { new_data_key } => secrets_cmd::rotate(root, new_data_key),
        },
    };
    timings::report();
    code
}
