// When V8 runs out of memory it calls its out-of-memory handler and then aborts the process, so a
// program that fills the sandbox's JavaScript heap (Pyodide's `run_js`, `js` objects) killed its
// child with SIGABRT and the run ended `crashed`. This N-API addon replaces that handler in a
// child with one that writes a result frame the child prepared in advance (JavaScript cannot run
// any more at that point) to the child's channel and exits: the run ends `memory_limit`.
//
// C++ only for v8::Isolate::SetOOMErrorHandler, which C and N-API do not offer.
#include "umca_napi.h"
#include <v8.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <unistd.h>

namespace {

int report_fd = -1;
char* report = nullptr;
size_t report_length = 0;

// Runs inside V8's fatal path: no allocation, no V8, only write(2) and _exit(2).
void OnOutOfMemory(const char* location, const v8::OOMDetails& details) {
  size_t offset = 0;
  while (report_fd >= 0 && offset < report_length) {
    ssize_t written = write(report_fd, report + offset, report_length - offset);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) break;
    offset += static_cast<size_t>(written);
  }
  if (report_fd >= 0 && offset == report_length) _exit(0);
  abort();  // not armed, or the channel is gone: die as V8 would have
}

napi_value Throw(napi_env env, const char* message) {
  napi_throw_type_error(env, nullptr, message);
  return nullptr;
}

// armOutOfMemoryReport(fd, frame): on out-of-memory, write `frame` to `fd` and exit 0.
napi_value ArmOutOfMemoryReport(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc != 2)
    return Throw(env, "armOutOfMemoryReport(fd, frame) takes a descriptor and a Buffer");
  int32_t fd = -1;
  void* data = nullptr;
  size_t length = 0;
  if (napi_get_value_int32(env, argv[0], &fd) != napi_ok || napi_get_buffer_info(env, argv[1], &data, &length) != napi_ok)
    return Throw(env, "armOutOfMemoryReport(fd, frame) takes a descriptor and a Buffer");
  char* copy = static_cast<char*>(malloc(length > 0 ? length : 1));
  if (copy == nullptr) return Throw(env, "armOutOfMemoryReport: out of memory");
  memcpy(copy, data, length);
  free(report);
  report = copy;
  report_length = length;
  report_fd = fd;
  v8::Isolate::GetCurrent()->SetOOMErrorHandler(OnOutOfMemory);
  return nullptr;
}

}  // namespace

NAPI_MODULE_INIT() {
  EXPORT("armOutOfMemoryReport", ArmOutOfMemoryReport);
  return exports;
}
