//! `PythonSession`: one instance of the interpreter kept across runs, for a session (its forked
//! child holds it). Each `run` is a cell of the same live interpreter under its own time limit;
//! the memory cap holds for the instance's whole life, so it counts what every run keeps. After
//! a run the runtime had to stop (a time limit, a trap), the instance is not run again. Between
//! runs, `snapshot` gives its memory for a paused session, and `Python::resume_session` makes a
//! new instance holding it (snapshot.rs): the interpreter's whole state is its linear memory
//! then, since a run's cell has returned (its one mutable global, the stack pointer, is back
//! where a fresh instance has it).

use crate::host::{error, wasi, Folders, Hooks, Host, JsEnv, Limits};
use crate::pipe::SharedPipe;
use crate::prepare::turn;
use crate::python::{ending, watch, Python, RunOutcome};
use crate::snapshot;
use napi::bindgen_prelude::{Buffer, FnArgs, Function};
use napi::Env;
use napi_derive::napi;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use wasmtime::{Engine, Instance, Linker, Module, Store};

#[napi(object)]
pub struct SessionOptions {
    /// The folder the program sees as `/`, for the session's whole life.
    pub root_dir: String,
    pub stdlib_dir: String,
    pub mpl_data_dir: Option<String>,
    /// Memory all the session's runs may add to the interpreter's, in bytes.
    pub memory_bytes: f64,
    /// The most output that may wait between two drains, per stream.
    pub output_bytes: f64,
}

#[napi(object)]
pub struct TurnOptions {
    /// The cell to run in the session's interpreter.
    pub code: String,
    pub timeout_ms: f64,
}

#[napi]
pub struct PythonSession {
    store: Store<Host>,
    instance: Instance,
    stdout: SharedPipe,
    stderr: SharedPipe,
    hit: Arc<AtomicBool>,
    /// Why the instance may not run again (a run the runtime stopped), once it may not.
    stopped: Option<String>,
    /// A fresh instance of the image, never run, to tell the state from the image in `snapshot`.
    /// Made when the session opens, before the child's memory limit is set: its mapping of the
    /// image would otherwise count against it when a pause needs it.
    image: (Store<Host>, Instance),
}

#[napi]
impl Python {
    /// Instantiates the interpreter once for a session; its runs are `PythonSession::run` cells.
    #[napi]
    pub fn open_session(&self, options: SessionOptions) -> napi::Result<PythonSession> {
        let runtime = self.runtime()?;
        let _inside = runtime.enter();
        let (engine, module, linker) = self.parts();
        let capacity = options.output_bytes.max(1.0) as usize + 1;
        let stdout = SharedPipe::new(capacity);
        let stderr = SharedPipe::new(capacity);
        let folders = Folders {
            stdlib_dir: &options.stdlib_dir,
            mpl_data_dir: options.mpl_data_dir.as_deref(),
            root_dir: &options.root_dir,
        };
        let hit = Arc::new(AtomicBool::new(false));
        let limits = Limits {
            memory_bytes: self.initial_memory_bytes() as usize + options.memory_bytes.max(0.0) as usize,
            hit: hit.clone(),
        };
        let (store, instance) = instantiate(engine, module, linker, &folders, limits, &stdout, &stderr)?;
        let unlimited = Limits { memory_bytes: usize::MAX, hit: Arc::new(AtomicBool::new(false)) };
        let image = instantiate(engine, module, linker, &folders, unlimited, &SharedPipe::new(1), &SharedPipe::new(1))?;
        Ok(PythonSession { store, instance, stdout, stderr, hit, stopped: None, image })
    }

    /// A session whose interpreter is the one `memory` (from `PythonSession::snapshot`) holds.
    /// Refused, with why, when it is not a snapshot of this image's memory or holds more than
    /// `options.memory_bytes` allows.
    #[napi]
    pub fn resume_session(&self, options: SessionOptions, memory: Buffer) -> napi::Result<PythonSession> {
        let mut session = self.open_session(options)?;
        let size = snapshot::memory_size(&memory).map_err(|why| error(format!("the snapshot was refused: {why}")))?;
        let linear = session.memory()?;
        let current = linear.data_size(&session.store);
        if size < current || size % 65_536 != 0 {
            return Err(error("the snapshot was refused: its memory is not of this interpreter"));
        }
        let grown = linear.grow(&mut session.store, ((size - current) / 65_536) as u64);
        if grown.is_err() || session.hit.load(Ordering::SeqCst) {
            return Err(error(format!(
                "the snapshot holds {} MiB of memory, more than the session may hold",
                size >> 20
            )));
        }
        snapshot::decode(&memory, linear.data_mut(&mut session.store)).map_err(|why| error(format!("the snapshot was refused: {why}")))?;
        Ok(session)
    }
}

/// An instance over `folders` (the image's own state refers to them), held to `limits`.
fn instantiate(
    engine: &Engine,
    module: &Module,
    linker: &Linker<Host>,
    folders: &Folders,
    limits: Limits,
    stdout: &SharedPipe,
    stderr: &SharedPipe,
) -> napi::Result<(Store<Host>, Instance)> {
    let mut store = Store::new(engine, Host { wasi: wasi(folders, Vec::new(), stdout, stderr)?, limits, hooks: None });
    store.limiter(|host| &mut host.limits);
    // Instantiating runs no guest code, but keep the clock from stopping it anyway.
    watch(&mut store, Instant::now() + Duration::from_secs(60), Arc::new(AtomicBool::new(false)));
    let instance = linker.instantiate(&mut store, module).map_err(error)?;
    Ok((store, instance))
}

#[napi]
impl PythonSession {
    /// Runs one cell in the session's interpreter, as `Python::run` runs a program.
    #[napi]
    pub fn run(
        &mut self,
        env: Env,
        options: TurnOptions,
        on_output: Function<FnArgs<(u32, Buffer)>, ()>,
        on_call: Function<Buffer, Option<Buffer>>,
    ) -> napi::Result<RunOutcome> {
        if let Some(why) = &self.stopped {
            return Err(error(format!("the session's interpreter was stopped in an earlier run ({why})")));
        }
        let started = Instant::now();
        self.hit.store(false, Ordering::SeqCst);
        self.stdout.take();
        self.stderr.take();
        self.store.data_mut().hooks = Some(Hooks {
            env: JsEnv(env),
            on_output: on_output.create_ref()?,
            on_call: on_call.create_ref()?,
            stdout: self.stdout.clone(),
            stderr: self.stderr.clone(),
        });
        let deadline = started + Duration::from_secs_f64(options.timeout_ms.max(1.0) / 1000.0);
        let timed_out = Arc::new(AtomicBool::new(false));
        watch(&mut self.store, deadline, timed_out.clone());
        let ran = turn(&mut self.store, &self.instance, &options.code);
        let run_ms = started.elapsed().as_secs_f64() * 1000.0;
        let drained = self.store.data().hooks.as_ref().map(|hooks| hooks.drain()).unwrap_or(Ok(()));
        self.store.data_mut().hooks = None;
        drained?;
        let (status, stopped) = ending(ran, timed_out.load(Ordering::SeqCst));
        if let Some(why) = &stopped {
            self.stopped = Some(why.clone());
        }
        Ok(RunOutcome { status, stopped, memory_limit_hit: self.hit.load(Ordering::SeqCst), instantiate_ms: 0.0, run_ms })
    }

    /// The interpreter's memory as it differs from a fresh instance's, for a paused session,
    /// handed to `onChunk` a few MiB at a time (so that pausing needs little memory of its own);
    /// returns how many bytes it handed over. Refused after a run the runtime stopped (the
    /// interpreter is then somewhere mid-call).
    #[napi]
    pub fn snapshot(&mut self, on_chunk: Function<Buffer, ()>) -> napi::Result<f64> {
        if let Some(why) = &self.stopped {
            return Err(error(format!("the session's interpreter was stopped in an earlier run ({why})")));
        }
        let memory = self.memory()?;
        let (image_store, image_instance) = &mut self.image;
        let image_memory = image_instance.get_memory(&mut *image_store, "memory").ok_or_else(|| error("the module exports no memory"))?;
        let mut handed = 0.0;
        let mut failed = None;
        snapshot::encode(memory.data(&self.store), image_memory.data(&*image_store), |chunk| {
            if failed.is_none() {
                handed += chunk.len() as f64;
                failed = on_chunk.call(Buffer::from(chunk)).err();
            }
        });
        match failed {
            Some(failure) => Err(failure),
            None => Ok(handed),
        }
    }

    fn memory(&mut self) -> napi::Result<wasmtime::Memory> {
        self.instance.get_memory(&mut self.store, "memory").ok_or_else(|| error("the module exports no memory"))
    }
}
