//! `PythonSession`: one instance of the interpreter kept across runs, for a session (its forked
//! child holds it). Each `run` is a cell of the same live interpreter under its own time limit;
//! the memory cap holds for the instance's whole life, so it counts what every run keeps. After
//! a run the runtime had to stop (a time limit, a trap), the instance is not run again.

use crate::host::{error, wasi, Folders, Hooks, Host, JsEnv, Limits};
use crate::pipe::SharedPipe;
use crate::prepare::turn;
use crate::python::{ending, watch, Python, RunOutcome};
use napi::bindgen_prelude::{Buffer, FnArgs, Function};
use napi::Env;
use napi_derive::napi;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use wasmtime::{Instance, Store};

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
        let wasi = wasi(&folders, Vec::new(), &stdout, &stderr)?;
        let mut store = Store::new(engine, Host { wasi, limits, hooks: None });
        store.limiter(|host| &mut host.limits);
        // Instantiating runs no guest code, but keep the clock from stopping it anyway.
        watch(&mut store, Instant::now() + Duration::from_secs(60), Arc::new(AtomicBool::new(false)));
        let instance = linker.instantiate(&mut store, module).map_err(error)?;
        Ok(PythonSession { store, instance, stdout, stderr, hit, stopped: None })
    }
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
}
