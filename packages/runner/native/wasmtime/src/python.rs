//! `Python`: the pre-initialized interpreter, compiled, mapped once (in the zygote); `run` gives
//! one program a fresh instance of it (copy-on-write memory), in the forked child, under a time
//! limit (epoch interruption), a memory cap that is hard (the store's limiter), with its output
//! streamed to the embedder and its door frames answered by it.

use crate::host::{engine, error, linker, wasi, Folders, Hooks, Host, JsEnv, Limits};
use crate::pipe::SharedPipe;
use crate::prepare::turn;
use napi::bindgen_prelude::{Buffer, FnArgs, Function};
use napi::Env;
use napi_derive::napi;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Once, OnceLock};
use std::time::{Duration, Instant};
use wasmtime::{Engine, Linker, Module, OptLevel, Store, UpdateDeadline};

/// How often the engine's epoch advances: the granularity of the time limit and of streaming.
const TICK: Duration = Duration::from_millis(2);

#[napi(object)]
pub struct RunOptions {
    /// The cell to run in the live interpreter.
    pub code: String,
    pub stdin: Option<Buffer>,
    /// The folder the program sees as `/` (its working files).
    pub root_dir: String,
    pub stdlib_dir: String,
    pub mpl_data_dir: Option<String>,
    /// Memory the program may add to the interpreter's, in bytes.
    pub memory_bytes: f64,
    pub timeout_ms: f64,
    /// The most output that may wait between two drains, per stream.
    pub output_bytes: f64,
}

#[napi(object)]
pub struct RunOutcome {
    /// The guest's own status: 0 when the cell ran without an exception; an exit code for `proc_exit`.
    pub status: Option<i32>,
    /// Why the runtime stopped it: `timeout`, `stack_overflow`, or a trap's message.
    pub stopped: Option<String>,
    pub memory_limit_hit: bool,
    pub instantiate_ms: f64,
    pub run_ms: f64,
}

#[napi]
pub struct Python {
    engine: Engine,
    module: Module,
    linker: Linker<Host>,
}

static TICKER: Once = Once::new();
/// WASI's blocking calls (a sleep) wait on Tokio; its timers need a runtime with a thread that
/// drives them. Made in the process that runs programs, on its first run: threads do not survive
/// a fork, so none may exist in the zygote.
static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();

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

    /// Bytes of linear memory an instance starts with (the interpreter after its preload).
    #[napi(getter)]
    pub fn initial_memory_bytes(&self) -> f64 {
        self.module
            .exports()
            .find_map(|export| export.ty().memory().map(|memory| memory.minimum() as f64 * 65_536.0))
            .unwrap_or(0.0)
    }

    /// Starts the engine's ticker and WASI's runtime in this process, once (never in the zygote).
    pub(crate) fn runtime(&self) -> napi::Result<&'static tokio::runtime::Runtime> {
        TICKER.call_once(|| {
            let engine = self.engine.clone();
            std::thread::spawn(move || loop {
                std::thread::sleep(TICK);
                engine.increment_epoch();
            });
        });
        match RUNTIME.get() {
            Some(runtime) => Ok(runtime),
            None => {
                let built = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_time().build().map_err(error)?;
                Ok(RUNTIME.get_or_init(|| built))
            }
        }
    }

    pub(crate) fn parts(&self) -> (&Engine, &Module, &Linker<Host>) {
        (&self.engine, &self.module, &self.linker)
    }

    /// Runs one program in a fresh instance: nothing of one run reaches another. `onOutput(stream,
    /// bytes)` gets stdout (1) and stderr (2) as they are written; `onCall(frame)` answers the
    /// guest's door frames (undefined: a fault).
    #[napi]
    pub fn run(
        &self,
        env: Env,
        options: RunOptions,
        on_output: Function<FnArgs<(u32, Buffer)>, ()>,
        on_call: Function<Buffer, Option<Buffer>>,
    ) -> napi::Result<RunOutcome> {
        let runtime = self.runtime()?;
        let _inside = runtime.enter();

        let capacity = options.output_bytes.max(1.0) as usize + 1;
        let stdout = SharedPipe::new(capacity);
        let stderr = SharedPipe::new(capacity);
        let folders = Folders {
            stdlib_dir: &options.stdlib_dir,
            mpl_data_dir: options.mpl_data_dir.as_deref(),
            root_dir: &options.root_dir,
        };
        let stdin = options.stdin.map(|bytes| bytes.to_vec()).unwrap_or_default();
        let hooks = Hooks {
            env: JsEnv(env),
            on_output: on_output.create_ref()?,
            on_call: on_call.create_ref()?,
            stdout: stdout.clone(),
            stderr: stderr.clone(),
        };
        let hit = Arc::new(AtomicBool::new(false));
        let started = Instant::now();
        let limits = Limits {
            memory_bytes: self.initial_memory_bytes() as usize + options.memory_bytes.max(0.0) as usize,
            hit: hit.clone(),
        };
        let wasi = wasi(&folders, stdin, &stdout, &stderr)?;
        let mut store = Store::new(&self.engine, Host { wasi, limits, hooks: Some(hooks) });
        store.limiter(|host| &mut host.limits);
        let deadline = started + Duration::from_secs_f64(options.timeout_ms.max(1.0) / 1000.0);
        let timed_out = Arc::new(AtomicBool::new(false));
        watch(&mut store, deadline, timed_out.clone());
        let instance = self.linker.instantiate(&mut store, &self.module).map_err(error)?;
        let instantiate_ms = started.elapsed().as_secs_f64() * 1000.0;
        let ran = turn(&mut store, &instance, &options.code);
        let run_ms = started.elapsed().as_secs_f64() * 1000.0 - instantiate_ms;
        if let Some(hooks) = store.data().hooks.as_ref() {
            hooks.drain()?;
        }
        let (status, stopped) = ending(ran, timed_out.load(Ordering::SeqCst));
        Ok(RunOutcome { status, stopped, memory_limit_hit: hit.load(Ordering::SeqCst), instantiate_ms, run_ms })
    }
}

/// The guest's status, or why the runtime stopped it (`timeout`, `stack_overflow`, a trap's message).
pub(crate) fn ending(ran: wasmtime::Result<i32>, timed_out: bool) -> (Option<i32>, Option<String>) {
    match ran {
        Ok(status) => (Some(status), None),
        Err(_) if timed_out => (None, Some("timeout".to_string())),
        Err(trap) => match trap.downcast_ref::<wasmtime_wasi::I32Exit>() {
            Some(exit) => (Some(exit.0), None),
            None if trap.downcast_ref::<wasmtime::Trap>() == Some(&wasmtime::Trap::StackOverflow) => {
                (None, Some("stack_overflow".to_string()))
            }
            None => (None, Some(format!("{trap:#}"))),
        },
    }
}

/// The epoch callback of one run: stops it at `deadline` (noting it in `timed_out`) and streams
/// its output at every tick.
pub(crate) fn watch(store: &mut Store<Host>, deadline: Instant, timed_out: Arc<AtomicBool>) {
    store.set_epoch_deadline(1);
    store.epoch_deadline_callback(move |context| {
        if Instant::now() >= deadline {
            timed_out.store(true, Ordering::SeqCst);
            return Ok(UpdateDeadline::Interrupt);
        }
        if let Some(hooks) = context.data().hooks.as_ref() {
            hooks.drain().map_err(|e| wasmtime::format_err!("streaming the output failed: {e}"))?;
        }
        Ok(UpdateDeadline::Continue(1))
    });
}
