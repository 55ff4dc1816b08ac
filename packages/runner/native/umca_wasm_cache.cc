// umca_wasm_cache: V8's own cache of compiled WebAssembly, for the zygote.
//
// Pyodide's module is 9.6 MB of WebAssembly. V8 compiles it with its baseline compiler at every
// start and tiers the hot functions up to its optimising compiler (TurboFan) only after they have
// run hot for a while: in the zygote that is a warm-up of about a second. V8 can serialize a
// compiled module (the optimised code of every function tiered up so far) and load it again in
// a process with the same V8 and flags, as browsers do with their code cache; Node offers no API
// for either side. This addon offers both:
//
//   serializeModule(module): Buffer             the module's compiled code, as V8 serializes it
//   compileWithCache(bytes, cache?): Promise     a WebAssembly.Module: V8 loads `cache` when it
//                                                matches (version, flags, CPU), else compiles
//                                                `bytes` as usual
//   cacheAccepted(): boolean                     whether V8 took the last cache
//   seal()                                       both refuse from now on (the zygote seals it
//                                                before its first fork)
//
// V8 checks a cache's header, not where its code came from: a cache is machine code, trusted
// like the runner's own files (the host writes it, from a zygote that has run no untrusted code,
// and checks its digest before the zygote reads it).
//
// compileWithCache goes through V8's streaming compilation, the only public way to hand V8
// cached code: it installs this addon's streaming callback on the isolate (replacing Node's, which
// serves WebAssembly.compileStreaming of fetch responses: in the sandbox there is no network to
// fetch from) and calls WebAssembly.compileStreaming with a private token.
//
// C++ because V8's WebAssembly API is C++ only; N-API values are V8 locals underneath.
#include "umca_napi.h"
#include <v8.h>

#include <cstring>
#include <memory>

namespace {

// What compileStreaming hands the callback: set just before the call, taken by the callback.
struct Pending {
  v8::Global<v8::Uint8Array> bytes;
  v8::Global<v8::Uint8Array> cache;
  bool set = false;
};
Pending pending;
// Whether V8 accepted the last cache offered (its header matched this V8, its flags and CPU).
bool last_accepted = false;
// Set by seal() in the zygote before its first fork: a child (hostile code) can neither hand V8
// code of its own making nor read the interpreter's.
bool sealed = false;

v8::Local<v8::Value> ToV8(napi_value value) {
  v8::Local<v8::Value> local;
  static_assert(sizeof(local) == sizeof(value), "N-API values are V8 locals");
  std::memcpy(static_cast<void*>(&local), &value, sizeof(value));
  return local;
}

napi_value FromV8(v8::Local<v8::Value> local) {
  napi_value value;
  std::memcpy(&value, static_cast<void*>(&local), sizeof(value));
  return value;
}

napi_value Throw(napi_env env, const char* message) {
  napi_throw_type_error(env, nullptr, message);
  return nullptr;
}

const uint8_t* Contents(v8::Local<v8::Uint8Array> view) {
  return static_cast<const uint8_t*>(view->Buffer()->Data()) + view->ByteOffset();
}

// V8 calls this for WebAssembly.compileStreaming once the argument has resolved.
void OnStreaming(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  std::shared_ptr<v8::WasmStreaming> streaming = v8::WasmStreaming::Unpack(isolate, info.Data());
  if (!pending.set) {
    // Anyone else's compileStreaming (a program in a child): there is nothing to stream from.
    streaming->Abort(v8::Exception::TypeError(
        v8::String::NewFromUtf8Literal(isolate, "WebAssembly.compileStreaming is not available in the UMCA sandbox")));
    return;
  }
  v8::HandleScope scope(isolate);
  v8::Local<v8::Uint8Array> bytes = pending.bytes.Get(isolate);
  v8::Local<v8::Uint8Array> cache;
  if (!pending.cache.IsEmpty()) cache = pending.cache.Get(isolate);
  // The cache must stay valid until Finish returns; the Global keeps it (and the bytes) alive.
  last_accepted = !cache.IsEmpty() && cache->ByteLength() > 0 && streaming->SetCompiledModuleBytes(Contents(cache), cache->ByteLength());
  streaming->OnBytesReceived(Contents(bytes), bytes->ByteLength());
  streaming->Finish();
  pending.bytes.Reset();
  pending.cache.Reset();
  pending.set = false;
}

// compileWithCache(bytes: Uint8Array, cache?: Uint8Array): Promise<WebAssembly.Module>
napi_value CompileWithCache(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  v8::Isolate* isolate = v8::Isolate::GetCurrent();
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  if (sealed) return Throw(env, "the WebAssembly cache is sealed: it serves the zygote's start only");
  if (argc < 1 || !ToV8(argv[0])->IsUint8Array()) return Throw(env, "compileWithCache needs the module's bytes as a Uint8Array");
  v8::Local<v8::Value> cache = argc > 1 ? ToV8(argv[1]) : v8::Local<v8::Value>();
  if (!cache.IsEmpty() && !cache->IsUndefined() && !cache->IsUint8Array())
    return Throw(env, "compileWithCache takes the cache as a Uint8Array, or nothing");
  if (pending.set) return Throw(env, "compileWithCache is already compiling a module");
  isolate->SetWasmStreamingCallback(OnStreaming);
  pending.bytes.Reset(isolate, ToV8(argv[0]).As<v8::Uint8Array>());
  if (!cache.IsEmpty() && cache->IsUint8Array()) pending.cache.Reset(isolate, cache.As<v8::Uint8Array>());
  pending.set = true;
  v8::Local<v8::Object> webassembly;
  v8::Local<v8::Value> compile_streaming;
  v8::Local<v8::Value> value;
  if (!context->Global()->Get(context, v8::String::NewFromUtf8Literal(isolate, "WebAssembly")).ToLocal(&value) || !value->IsObject()) {
    pending.bytes.Reset();
    pending.cache.Reset();
    pending.set = false;
    return Throw(env, "WebAssembly is not available");
  }
  webassembly = value.As<v8::Object>();
  if (!webassembly->Get(context, v8::String::NewFromUtf8Literal(isolate, "compileStreaming")).ToLocal(&compile_streaming) ||
      !compile_streaming->IsFunction()) {
    pending.bytes.Reset();
    pending.cache.Reset();
    pending.set = false;
    return Throw(env, "WebAssembly.compileStreaming is not available");
  }
  v8::Local<v8::Value> token = v8::Undefined(isolate);
  v8::Local<v8::Value> promise;
  if (!compile_streaming.As<v8::Function>()->Call(context, webassembly, 1, &token).ToLocal(&promise)) {
    pending.bytes.Reset();
    pending.cache.Reset();
    pending.set = false;
    return nullptr;  // the exception propagates
  }
  return FromV8(promise);
}

// cacheAccepted(): boolean — whether V8 took the cache of the last compileWithCache (a cache that
// is accepted but then fails to load is compiled from the bytes instead, correctly but slowly).
napi_value CacheAccepted(napi_env env, napi_callback_info info) {
  napi_value out;
  napi_get_boolean(env, last_accepted, &out);
  return out;
}

// serializeModule(module: WebAssembly.Module): Buffer
napi_value SerializeModule(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (sealed) return Throw(env, "the WebAssembly cache is sealed: it serves the zygote's start only");
  if (argc < 1 || !ToV8(argv[0])->IsWasmModuleObject()) return Throw(env, "serializeModule needs a WebAssembly.Module");
  v8::CompiledWasmModule compiled = ToV8(argv[0]).As<v8::WasmModuleObject>()->GetCompiledModule();
  v8::OwnedBuffer serialized = compiled.Serialize();
  napi_value out;
  void* data = nullptr;
  if (napi_create_buffer_copy(env, serialized.size, serialized.buffer.get(), &data, &out) != napi_ok) return nullptr;
  return out;
}

// seal(): from now on compileWithCache and serializeModule refuse, in this process and its forks.
napi_value Seal(napi_env env, napi_callback_info info) {
  sealed = true;
  return nullptr;
}

}  // namespace

NAPI_MODULE_INIT() {
  EXPORT("compileWithCache", CompileWithCache);
  EXPORT("seal", Seal);
  EXPORT("cacheAccepted", CacheAccepted);
  EXPORT("serializeModule", SerializeModule);
  return exports;
}
