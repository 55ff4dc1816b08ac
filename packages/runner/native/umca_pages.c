/*
 * umca_pages: memory, so that a fork and a child's first writes cost little.
 *
 * fork() copies one page-table entry for every resident 4 KiB page of private anonymous memory,
 * and every child tears them all down again when it exits. For the Python zygote that was most of
 * the kernel's share of a trivial run: ~30 MiB of Pyodide's WebAssembly memory, ~12 MiB of the C
 * heap, ~8 MiB of V8's copy of the WebAssembly module. A region backed by transparent huge pages
 * costs one entry per 2 MiB instead. A child that writes to such a page splits only that 2 MiB
 * mapping and copies only the 4 KiB it writes (the kernel's copy-on-write is per small page since
 * Linux 5.8), so what the children share stays shared.
 *
 * MADV_COLLAPSE (Linux 6.1) turns resident small pages into huge pages in place, synchronously,
 * without MADV_HUGEPAGE: regions are not marked for huge pages, so memory a child touches later
 * is still faulted in small pages (no 2 MiB zeroing or compaction stall inside a run).
 */
#define _GNU_SOURCE
#include "umca_napi.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

#define HUGE_PAGE (2UL << 20)

static void set_number(napi_env env, napi_value object, const char* name, double number) {
  napi_value value;
  napi_create_double(env, number, &value);
  napi_set_named_property(env, object, name, value);
}

/*
 * collapseAnonymousRegions(minBytes): { regions, bytes, failed, error } — every private,
 * anonymous, writable region of at least minBytes (unnamed, or the C heap) collapsed into huge
 * pages over its 2 MiB-aligned interior. A region the kernel refuses (no THP support, a kernel
 * before 6.1, memory that cannot be moved) is counted in `failed` and left as it was; `error`
 * is the first refusal's errno text. Nothing about the process's contents changes either way.
 */
static napi_value CollapseAnonymousRegions(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  double min_bytes = 4 * 1048576.0;
  if (argc >= 1) napi_get_value_double(env, argv[0], &min_bytes);

  FILE* maps = fopen("/proc/self/maps", "re");
  if (maps == NULL) {
    napi_throw_error(env, "UMCA_PAGES", "cannot read /proc/self/maps");
    return NULL;
  }
  double regions = 0, bytes = 0, failed = 0;
  int first_error = 0;
  char line[512];
  while (fgets(line, sizeof line, maps) != NULL) {
    unsigned long start, end, offset, inode;
    char perms[8], device[16];
    int name_at = 0;
    if (sscanf(line, "%lx-%lx %7s %lx %15s %lu %n", &start, &end, perms, &offset, device, &inode, &name_at) < 6) continue;
    const char* name = line + name_at;
    int unnamed = name[0] == '\n' || name[0] == '\0';
    if (strcmp(perms, "rw-p") != 0 || inode != 0 || !(unnamed || strncmp(name, "[heap]", 6) == 0)) continue;
    if ((double)(end - start) < min_bytes) continue;
    unsigned long low = (start + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
    unsigned long high = end & ~(HUGE_PAGE - 1);
    if (high <= low) continue;
    if (madvise((void*)low, high - low, MADV_COLLAPSE) == 0) {
      regions++;
      bytes += (double)(high - low);
    } else {
      failed++;
      if (first_error == 0) first_error = errno;
    }
  }
  fclose(maps);
  napi_value result;
  napi_create_object(env, &result);
  set_number(env, result, "regions", regions);
  set_number(env, result, "bytes", bytes);
  set_number(env, result, "failed", failed);
  if (first_error != 0) {
    napi_value text;
    napi_create_string_utf8(env, strerror(first_error), NAPI_AUTO_LENGTH, &text);
    napi_set_named_property(env, result, "error", text);
  }
  return result;
}

/* ---- the pages a run writes ---------------------------------------------------------------
 *
 * Every child copies, on its first write, each page its run writes: ~600 of them for a trivial
 * Python run (the interpreter's heap and stack, V8's young generation, the C heap), each a page
 * fault on the run's clock. The zygote learns which pages those are once, from a probe child
 * that rehearses a run (sendWrittenPages: the pages only it maps, from /proc/self/pagemap), and
 * every later child copies them in one go while it waits for its order (prefaultWrittenPages,
 * MADV_POPULATE_WRITE), so its run finds them copied already.
 */

struct page_range {
  uint64_t start;
  uint64_t length;
};

static struct page_range* learned = NULL;
static size_t learned_count = 0;

#define PAGEMAP_PRESENT (1ULL << 63)
#define PAGEMAP_EXCLUSIVE (1ULL << 56)

static int write_all(int fd, const void* data, size_t size) {
  const char* bytes = data;
  while (size > 0) {
    ssize_t wrote = write(fd, bytes, size);
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote <= 0) return -1;
    bytes += wrote;
    size -= (size_t)wrote;
  }
  return 0;
}

/*
 * sendWrittenPages(fd): number — in the probe child: writes the ranges of pages present and
 * mapped by this process only, in its private writable mappings, to fd as pairs of uint64
 * (start, length), closes fd, and returns how many pages that is.
 */
static napi_value SendWrittenPages(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd = -1;
  napi_get_value_int32(env, argv[0], &fd);
  long page = sysconf(_SC_PAGESIZE);
  /* The zygote made itself non-dumpable, which makes /proc/self/pagemap root's; the probe, which
   * exits right after, may read its own again. */
  prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
  FILE* maps = fopen("/proc/self/maps", "re");
  int pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  double pages = 0;
  if (maps != NULL && pagemap >= 0) {
    char line[512];
    uint64_t entries[512];
    struct page_range pending = {0, 0};
    while (fgets(line, sizeof line, maps) != NULL) {
      unsigned long start, end;
      char perms[8];
      if (sscanf(line, "%lx-%lx %7s", &start, &end, perms) < 3 || perms[1] != 'w' || perms[3] != 'p') continue;
      for (unsigned long address = start; address < end;) {
        size_t count = (end - address) / (unsigned long)page;
        if (count > 512) count = 512;
        ssize_t got = pread(pagemap, entries, count * sizeof entries[0], (off_t)(address / (unsigned long)page * sizeof entries[0]));
        if (got <= 0) break;
        count = (size_t)got / sizeof entries[0];
        for (size_t i = 0; i < count; i++, address += (unsigned long)page) {
          if ((entries[i] & PAGEMAP_PRESENT) == 0 || (entries[i] & PAGEMAP_EXCLUSIVE) == 0) continue;
          pages++;
          if (pending.length > 0 && pending.start + pending.length == address) {
            pending.length += (uint64_t)page;
            continue;
          }
          if (pending.length > 0 && write_all(fd, &pending, sizeof pending) != 0) break;
          pending.start = address;
          pending.length = (uint64_t)page;
        }
      }
    }
    if (pending.length > 0) write_all(fd, &pending, sizeof pending);
  }
  if (maps != NULL) fclose(maps);
  if (pagemap >= 0) close(pagemap);
  close(fd);
  napi_value out;
  napi_create_double(env, pages, &out);
  return out;
}

/*
 * receiveWrittenPages(fd, timeoutMs): { ranges, pages } — in the zygote: reads what the probe
 * sent until it closes its end (or the time is up), keeps it as the ranges every later child
 * prefaults, and closes fd.
 */
static napi_value ReceiveWrittenPages(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd = -1, timeout_ms = 10000;
  napi_get_value_int32(env, argv[0], &fd);
  if (argc > 1) napi_get_value_int32(env, argv[1], &timeout_ms);
  size_t capacity = 1024, used = 0;
  char* buffer = malloc(capacity);
  for (;;) {
    struct pollfd ready = {.fd = fd, .events = POLLIN};
    int polled = poll(&ready, 1, timeout_ms);
    if (polled < 0 && errno == EINTR) continue;
    if (polled <= 0 || buffer == NULL) break;
    if (used == capacity) {
      char* grown = realloc(buffer, capacity * 2);
      if (grown == NULL) break;
      buffer = grown;
      capacity *= 2;
    }
    ssize_t got = read(fd, buffer + used, capacity - used);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    used += (size_t)got;
  }
  close(fd);
  free(learned);
  learned = (struct page_range*)buffer;
  learned_count = buffer == NULL ? 0 : used / sizeof(struct page_range);
  double pages = 0;
  for (size_t i = 0; i < learned_count; i++) pages += (double)(learned[i].length / (uint64_t)sysconf(_SC_PAGESIZE));
  napi_value result;
  napi_create_object(env, &result);
  set_number(env, result, "ranges", (double)learned_count);
  set_number(env, result, "pages", pages);
  return result;
}

/*
 * prefaultWrittenPages(): number — in a child: copies the learned pages now (a range that is no
 * longer mapped writable is skipped). Returns how many ranges it could populate.
 */
static napi_value PrefaultWrittenPages(napi_env env, napi_callback_info info) {
  double done = 0;
  for (size_t i = 0; i < learned_count; i++)
    if (madvise((void*)(uintptr_t)learned[i].start, (size_t)learned[i].length, MADV_POPULATE_WRITE) == 0) done++;
  napi_value out;
  napi_create_double(env, done, &out);
  return out;
}

NAPI_MODULE_INIT() {
  EXPORT("collapseAnonymousRegions", CollapseAnonymousRegions);
  EXPORT("sendWrittenPages", SendWrittenPages);
  EXPORT("receiveWrittenPages", ReceiveWrittenPages);
  EXPORT("prefaultWrittenPages", PrefaultWrittenPages);
  return exports;
}
