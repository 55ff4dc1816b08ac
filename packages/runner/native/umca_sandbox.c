/*
 * umca_sandbox: the few system calls the runner needs that Node does not offer.
 *
 * The sandbox "zygote" is a Node process, confined by bubblewrap, that has already loaded the
 * interpreters. For every run it forks a child: a fresh copy of a pristine interpreter, in its own
 * process, that serves exactly one run and then exits. This file holds what that needs: fork that
 * leaves V8 and libuv usable in the child, passing a private socket to the zygote, limits, and a
 * seccomp filter that the child installs before it sees any untrusted code.
 *
 * Every function is synchronous and throws a JavaScript Error carrying errno on failure.
 */
#define _GNU_SOURCE
#include "umca_napi.h"
#include <uv.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_CHILDREN 256
#define MAX_PAYLOAD (64 * 1024)

static napi_value throw_errno(napi_env env, const char* what) {
  char message[256];
  snprintf(message, sizeof message, "%s failed: %s (errno %d)", what, strerror(errno), errno);
  napi_throw_error(env, "UMCA_SANDBOX_SYSCALL", message);
  return NULL;
}

static int arg_int(napi_env env, napi_value value, int fallback) {
  int32_t out = fallback;
  if (napi_get_value_int32(env, value, &out) != napi_ok) return fallback;
  return out;
}

/** The argument at `index`, when it was given and is a boolean; false otherwise. */
static bool arg_bool(napi_env env, size_t argc, const napi_value* argv, size_t index) {
  bool out = false;
  if (index < argc) napi_get_value_bool(env, argv[index], &out);
  return out;
}

/** Moves the calling thread to `policy` (SCHED_OTHER, SCHED_BATCH, SCHED_IDLE: no capability needed). */
static int set_own_policy(int policy) {
  struct sched_param param = {0};
  return sched_setscheduler(0, policy, &param);
}

static double prop_number(napi_env env, napi_value object, const char* name, double fallback) {
  bool has = false;
  napi_value value;
  double out = fallback;
  if (napi_has_named_property(env, object, name, &has) != napi_ok || !has) return fallback;
  napi_get_named_property(env, object, name, &value);
  if (napi_get_value_double(env, value, &out) != napi_ok) return fallback;
  return out;
}

static napi_value make_int(napi_env env, int64_t value) {
  napi_value out;
  napi_create_int64(env, value, &out);
  return out;
}

/* ---- sockets and descriptor passing ------------------------------------------------------ */

/** socketPair(): [number, number] — a connected, blocking, close-on-exec stream socket pair. */
static napi_value SocketPair(napi_env env, napi_callback_info info) {
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) return throw_errno(env, "socketpair");
  napi_value out;
  napi_create_array_with_length(env, 2, &out);
  napi_set_element(env, out, 0, make_int(env, fds[0]));
  napi_set_element(env, out, 1, make_int(env, fds[1]));
  return out;
}

/** sendFd(socket, fd, payload: Buffer): sends payload, with fd attached (SCM_RIGHTS) unless fd < 0. */
static napi_value SendFd(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int sock = arg_int(env, argv[0], -1);
  int fd = arg_int(env, argv[1], -1);
  void* data;
  size_t length;
  if (napi_get_buffer_info(env, argv[2], &data, &length) != napi_ok || length == 0 || length > MAX_PAYLOAD) {
    napi_throw_type_error(env, "UMCA_SANDBOX_ARGUMENT", "sendFd needs a non-empty Buffer payload of at most 64 KiB");
    return NULL;
  }
  struct iovec iov = {.iov_base = data, .iov_len = length};
  union {
    char buffer[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } control;
  memset(&control, 0, sizeof control);
  struct msghdr message = {.msg_iov = &iov, .msg_iovlen = 1};
  if (fd >= 0) {
    message.msg_control = control.buffer;
    message.msg_controllen = sizeof control.buffer;
    struct cmsghdr* header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(header), &fd, sizeof(int));
  }
  ssize_t sent;
  do {
    sent = sendmsg(sock, &message, MSG_NOSIGNAL);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) return throw_errno(env, "sendmsg");
  if ((size_t)sent != length) {
    napi_throw_error(env, "UMCA_SANDBOX_SYSCALL", "sendmsg sent a partial command");
    return NULL;
  }
  return NULL;
}

/* ---- the zygote's event wait ----------------------------------------------------------- */

static struct {
  pid_t pid;
  int pidfd;
} children[MAX_CHILDREN];
static int child_count = 0;

static void forget_child(int index) {
  close(children[index].pidfd);
  children[index] = children[child_count - 1];
  child_count--;
}

/*
 * waitEvent(control, timeoutMs): blocks until the host sends a command or a child exits.
 * Returns { fd, payload } for a command (fd is -1 when none was attached), { exited: [[pid,
 * status], ...] } when children ended, null on timeout, and throws UMCA_SANDBOX_EOF when the host
 * closed the control socket.
 */
static napi_value WaitEvent(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int control = arg_int(env, argv[0], -1);
  int timeout = argc > 1 ? arg_int(env, argv[1], -1) : -1;

  struct pollfd fds[MAX_CHILDREN + 1];
  fds[0].fd = control;
  fds[0].events = POLLIN;
  for (int i = 0; i < child_count; i++) {
    fds[i + 1].fd = children[i].pidfd;
    fds[i + 1].events = POLLIN;
  }
  int ready;
  do {
    ready = poll(fds, (nfds_t)child_count + 1, timeout);
  } while (ready < 0 && errno == EINTR);
  if (ready < 0) return throw_errno(env, "poll");
  if (ready == 0) {
    napi_value null_value;
    napi_get_null(env, &null_value);
    return null_value;
  }

  napi_value result;
  napi_create_object(env, &result);
  napi_value exited;
  napi_create_array(env, &exited);
  uint32_t exited_count = 0;
  for (int i = child_count - 1; i >= 0; i--) {
    if (!(fds[i + 1].revents & (POLLIN | POLLHUP | POLLERR))) continue;
    int status = 0;
    pid_t pid = waitpid(children[i].pid, &status, WNOHANG);
    if (pid == 0) continue;
    napi_value pair;
    napi_create_array_with_length(env, 2, &pair);
    napi_set_element(env, pair, 0, make_int(env, children[i].pid));
    napi_set_element(env, pair, 1, make_int(env, pid < 0 ? -1 : status));
    napi_set_element(env, exited, exited_count++, pair);
    forget_child(i);
  }
  if (exited_count > 0) napi_set_named_property(env, result, "exited", exited);

  if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
    char buffer[MAX_PAYLOAD];
    struct iovec iov = {.iov_base = buffer, .iov_len = sizeof buffer};
    union {
      char buffer[CMSG_SPACE(sizeof(int))];
      struct cmsghdr align;
    } control_data;
    struct msghdr message = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control_data.buffer, .msg_controllen = sizeof control_data.buffer};
    ssize_t received;
    do {
      received = recvmsg(control, &message, MSG_CMSG_CLOEXEC);
    } while (received < 0 && errno == EINTR);
    if (received < 0) return throw_errno(env, "recvmsg");
    if (received == 0) {
      napi_throw_error(env, "UMCA_SANDBOX_EOF", "the host closed the control socket");
      return NULL;
    }
    int fd = -1;
    for (struct cmsghdr* header = CMSG_FIRSTHDR(&message); header; header = CMSG_NXTHDR(&message, header)) {
      if (header->cmsg_level == SOL_SOCKET && header->cmsg_type == SCM_RIGHTS) memcpy(&fd, CMSG_DATA(header), sizeof(int));
    }
    napi_value payload;
    void* copy;
    napi_create_buffer_copy(env, (size_t)received, buffer, &copy, &payload);
    napi_set_named_property(env, result, "payload", payload);
    napi_set_named_property(env, result, "fd", make_int(env, fd));
  }
  return result;
}

/* ---- fork ------------------------------------------------------------------------------ */

/*
 * V8 marks its heap MADV_DONTFORK, so a plain fork() gives a child without a JavaScript heap.
 * Undo that on every mapping before each fork. One madvise call covers everything below the
 * kernel's special mappings at the top ([vvar], [vdso], which refuse MADV_DOFORK): the kernel
 * applies it to each mapping in the range and reports the gaps between them as ENOMEM. If some
 * mapping refuses (EINVAL), fall back to one call per mapping.
 */
static unsigned long special_mappings_start = 0;
static unsigned long special_mappings_end = 0;

/* Calls `visit` with each mapping's range and its /proc/self/maps line. */
static void for_each_mapping(void (*visit)(unsigned long start, unsigned long end, const char* line)) {
  FILE* maps = fopen("/proc/self/maps", "re");
  if (!maps) return;
  char line[512];
  while (fgets(line, sizeof line, maps)) {
    unsigned long start, end;
    if (sscanf(line, "%lx-%lx", &start, &end) == 2) visit(start, end, line);
  }
  fclose(maps);
}

static int is_special_mapping(const char* line) {
  return strstr(line, "[vvar") || strstr(line, "[vdso]") || strstr(line, "[vsyscall]");
}

static void note_special_mapping(unsigned long start, unsigned long end, const char* line) {
  if (!is_special_mapping(line) || strstr(line, "[vsyscall]")) return;
  if (special_mappings_start == 0 || start < special_mappings_start) special_mappings_start = start;
  if (end > special_mappings_end) special_mappings_end = end;
}

static void allow_copy_of_mapping(unsigned long start, unsigned long end, const char* line) {
  if (!is_special_mapping(line)) madvise((void*)start, end - start, MADV_DOFORK);
}

static void allow_copy_on_fork(void) {
  if (special_mappings_start == 0) for_each_mapping(note_special_mapping);
  unsigned long page = (unsigned long)sysconf(_SC_PAGESIZE);
  const unsigned long user_top = 0x7ffffffff000UL; /* x86_64 and aarch64 with 47/48-bit user space */
  if (special_mappings_start > page && special_mappings_end < user_top) {
    int below = madvise((void*)page, special_mappings_start - page, MADV_DOFORK);
    int below_ok = below == 0 || errno == ENOMEM;
    int above = madvise((void*)special_mappings_end, user_top - special_mappings_end, MADV_DOFORK);
    int above_ok = above == 0 || errno == ENOMEM;
    if (below_ok && above_ok) return;
  }
  for_each_mapping(allow_copy_of_mapping);
}

/* ---- a run's own namespaces ------------------------------------------------------------ */

/*
 * With OS isolation the zygote runs as id 1000 of a user namespace that umca-sandbox-init made,
 * as the first process of a PID namespace it owns (see umca_sandbox_init.c). Each child then gets:
 *   - its own PID namespace, as its first process: the zygote sets the namespace its next child
 *     is born into (unshare CLONE_NEWPID), forks, and goes back to its own (setns);
 *   - with an id from the host's range (UMCA started as root), its own unprivileged host uid and
 *     gid, distinct from the zygote's and from every other live run's;
 *   - its own user, mount, UTS and IPC namespaces, made by the child itself right after the fork;
 *   - an empty, read-only /proc: nothing of the zygote, of other runs, of the kernel's settings;
 *   - no capability at all, in any namespace, and none it could regain.
 */
#define RUN_NAMESPACE_ID 1000

static int statm_fd = -1;
/* 1 in a process that fork() made: a run's child, never the zygote. */
static int forked_child = 0;

/*
 * A run is the first process of its PID namespace, and Linux ignores a signal that such a process
 * sends itself without a handler: abort() would end in its fallback, a SIGSEGV. A handler makes
 * the abort an exit with status 128 + SIGABRT, which the host reads as "ended by SIGABRT".
 */
static void exit_on_abort(int signal_number) {
  _exit(128 + signal_number);
}
static int zygote_pid_namespace = -1;

/*
 * A run's own writable folder (the Wasmtime lane's, whose WASI file system is real folders): a
 * tmpfs mounted in the run's own mount namespace, so it is empty at the start, no other run or
 * the zygote can see it, and it ends with the run. Set once in the zygote (setRunWorkdir).
 */
static char run_workdir[256] = {0};
static long long run_workdir_bytes = 0;
/* Files and folders a run's workdir may hold. */
#define RUN_WORKDIR_INODES 4096

static int write_text(const char* path, const char* text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t length = (ssize_t)strlen(text);
  ssize_t written = write(fd, text, (size_t)length);
  int saved = errno;
  close(fd);
  errno = saved;
  return written == length ? 0 : -1;
}

static int drop_all_capabilities(void) {
  for (int cap = 0; cap <= 63; cap++) {
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) return -1;
  }
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0) return -1;
  struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
  struct __user_cap_data_struct data[2];
  memset(data, 0, sizeof data);
  return (int)syscall(SYS_capset, &header, data);
}

/* Runs in the child right after the fork. Returns the step that failed, or NULL. */
static const char* enter_run_namespaces(long run_id) {
  char map[64];
  if (run_id >= 0) {
    if (setresgid((gid_t)run_id, (gid_t)run_id, (gid_t)run_id) != 0) return "setresgid";
    if (setresuid((uid_t)run_id, (uid_t)run_id, (uid_t)run_id) != 0) return "setresuid";
  }
  uid_t uid = geteuid();
  gid_t gid = getegid();
  /* Kept open so the memory limit can still be measured once /proc is gone. */
  statm_fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  if (statm_fd < 0) return "open(/proc/self/statm)";
  if (unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC) != 0) return "unshare";
  /* A process that is not dumpable (the zygote is not; a change of uid resets it) finds its own
     /proc files owned by root. The child owns them again for the next three writes; it is made
     not dumpable again before it sees any code (hardenProcess). */
  if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) != 0) return "prctl(DUMPABLE)";
  if (write_text("/proc/self/setgroups", "deny") != 0) return "write(setgroups)";
  snprintf(map, sizeof map, "%d %u 1\n", RUN_NAMESPACE_ID, (unsigned)uid);
  if (write_text("/proc/self/uid_map", map) != 0) return "write(uid_map)";
  snprintf(map, sizeof map, "%d %u 1\n", RUN_NAMESPACE_ID, (unsigned)gid);
  if (write_text("/proc/self/gid_map", map) != 0) return "write(gid_map)";
  if (mount("none", "/proc", "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0,mode=0555") != 0) return "mount(/proc)";
  if (run_workdir[0] != '\0') {
    char options[96];
    snprintf(options, sizeof options, "size=%lld,nr_inodes=%d,mode=0700", run_workdir_bytes, RUN_WORKDIR_INODES);
    if (mount("umca-run", run_workdir, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, options) != 0) return "mount(workdir)";
  }
  if (drop_all_capabilities() != 0) return "dropping capabilities";
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return "prctl(NO_NEW_PRIVS)";
  struct sigaction on_abort;
  memset(&on_abort, 0, sizeof on_abort);
  on_abort.sa_handler = exit_on_abort;
  if (sigaction(SIGABRT, &on_abort, NULL) != 0) return "sigaction(SIGABRT)";
  return NULL;
}

/* Makes the zygote's next child the first process of a new PID namespace. */
static int prepare_pid_namespace(void) {
  if (zygote_pid_namespace < 0) {
    zygote_pid_namespace = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
    if (zygote_pid_namespace < 0) return -1;
  }
  return unshare(CLONE_NEWPID);
}

/* Later children are born in the zygote's own PID namespace again, until the next prepare. */
static int restore_pid_namespace(void) {
  return setns(zygote_pid_namespace, CLONE_NEWPID);
}

/* ---- fork ------------------------------------------------------------------------------ */

/*
 * Options of fork() and checkRunNamespaces(): { ownNamespaces: boolean, runId?: number }.
 * runId is the child's id in the zygote's user namespace; -1 keeps the zygote's.
 */
static void read_fork_options(napi_env env, napi_callback_info info, int* own_namespaces, long* run_id) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  *own_namespaces = 0;
  *run_id = -1;
  if (argc < 1) return;
  napi_valuetype type;
  if (napi_typeof(env, argv[0], &type) != napi_ok || type != napi_object) return;
  bool has = false, own = false;
  napi_value value;
  if (napi_has_named_property(env, argv[0], "ownNamespaces", &has) == napi_ok && has &&
      napi_get_named_property(env, argv[0], "ownNamespaces", &value) == napi_ok)
    napi_get_value_bool(env, value, &own);
  *own_namespaces = own;
  *run_id = (long)prop_number(env, argv[0], "runId", -1);
}

/**
 * setRunWorkdir({ path, bytes }): from now on each run forked with its own namespaces gets an
 * empty tmpfs of at most `bytes` at `path` (an existing folder). Called once, in the zygote.
 */
static napi_value SetRunWorkdir(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  napi_value path_value;
  size_t length = 0;
  if (argc < 1 || napi_get_named_property(env, argv[0], "path", &path_value) != napi_ok ||
      napi_get_value_string_utf8(env, path_value, run_workdir, sizeof run_workdir, &length) != napi_ok ||
      length == 0 || length >= sizeof run_workdir - 1 || run_workdir[0] != '/') {
    run_workdir[0] = '\0';
    napi_throw_error(env, "UMCA_SANDBOX_ARGUMENT", "setRunWorkdir needs an absolute path of at most 254 bytes");
    return NULL;
  }
  run_workdir_bytes = (long long)prop_number(env, argv[0], "bytes", 0);
  if (run_workdir_bytes < 65536) {
    run_workdir[0] = '\0';
    napi_throw_error(env, "UMCA_SANDBOX_ARGUMENT", "setRunWorkdir needs bytes of at least 65536");
    return NULL;
  }
  return NULL;
}

/**
 * fork(options): number — forks the calling process. Returns the child's pid in the parent and 0
 * in the child, where libuv's loop has been re-created so the child can use timers and promises.
 * With ownNamespaces the child is in its own namespaces before it returns (see above); if it
 * cannot get them, it exits with status 71 and never runs anything.
 * The parent keeps a pidfd per child so waitEvent() reports its exit.
 */
static napi_value Fork(napi_env env, napi_callback_info info) {
  int own_namespaces;
  long run_id;
  read_fork_options(env, info, &own_namespaces, &run_id);
  if (child_count >= MAX_CHILDREN) {
    napi_throw_error(env, "UMCA_SANDBOX_LIMIT", "the zygote already has 256 live children");
    return NULL;
  }
  if (own_namespaces && prepare_pid_namespace() != 0) return throw_errno(env, "unshare(CLONE_NEWPID)");
  allow_copy_on_fork();
  pid_t pid = fork();
  if (pid == 0) {
    forked_child = 1;
    for (int i = 0; i < child_count; i++) close(children[i].pidfd);
    child_count = 0;
    if (zygote_pid_namespace >= 0) close(zygote_pid_namespace);
    if (own_namespaces) {
      const char* failed = enter_run_namespaces(run_id);
      if (failed) {
        dprintf(2, "umca sandbox child: %s failed: %s\n", failed, strerror(errno));
        _exit(71);
      }
    }
    int error = uv_loop_fork(uv_default_loop());
    if (error != 0) _exit(70);
    return make_int(env, 0);
  }
  int fork_errno = errno;
  if (own_namespaces && restore_pid_namespace() != 0) {
    /* Without its own PID namespace back, the zygote cannot fork runs safely any more. */
    dprintf(2, "umca sandbox zygote: setns(CLONE_NEWPID) failed: %s\n", strerror(errno));
    _exit(71);
  }
  errno = fork_errno;
  if (pid < 0) return throw_errno(env, "fork");
  int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (pidfd >= 0) {
    fcntl(pidfd, F_SETFD, FD_CLOEXEC);
    children[child_count].pid = pid;
    children[child_count].pidfd = pidfd;
    child_count++;
  }
  return make_int(env, pid);
}

/**
 * checkRunNamespaces(options): string | null — forks a throwaway child that enters a run's
 * namespaces exactly as fork() would and exits. Returns null when that works, else what failed.
 */
static napi_value CheckRunNamespaces(napi_env env, napi_callback_info info) {
  int own_namespaces;
  long run_id;
  read_fork_options(env, info, &own_namespaces, &run_id);
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) return throw_errno(env, "pipe");
  if (own_namespaces && prepare_pid_namespace() != 0) {
    int saved = errno;
    close(report[0]);
    close(report[1]);
    errno = saved;
    return throw_errno(env, "unshare(CLONE_NEWPID)");
  }
  pid_t pid = fork();
  if (pid == 0) {
    close(report[0]);
    const char* failed = own_namespaces ? enter_run_namespaces(run_id) : NULL;
    if (failed) dprintf(report[1], "%s failed: %s (errno %d)", failed, strerror(errno), errno);
    _exit(failed ? 71 : 0);
  }
  int fork_errno = errno;
  if (own_namespaces && restore_pid_namespace() != 0) {
    dprintf(2, "umca sandbox zygote: setns(CLONE_NEWPID) failed: %s\n", strerror(errno));
    _exit(71);
  }
  close(report[1]);
  if (pid < 0) {
    close(report[0]);
    errno = fork_errno;
    return throw_errno(env, "fork");
  }
  char message[256] = {0};
  ssize_t length;
  do {
    length = read(report[0], message, sizeof message - 1);
  } while (length < 0 && errno == EINTR);
  close(report[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  napi_value out;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    napi_get_null(env, &out);
    return out;
  }
  if (length <= 0) snprintf(message, sizeof message, "the probe child ended with status %d", status);
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &out);
  return out;
}

/** isForkedChild(): true in a child that fork() made, false in the zygote (and the host). */
static napi_value IsForkedChild(napi_env env, napi_callback_info info) {
  napi_value out;
  napi_get_boolean(env, forked_child != 0, &out);
  return out;
}

/* ---- hardening ------------------------------------------------------------------------- */

/**
 * hardenProcess({ parentDeathSignal }): no core dumps, not dumpable (so no same-user process can
 * read this one's memory through /proc or ptrace), no new privileges, and SIGKILL when the parent
 * dies.
 */
static napi_value HardenProcess(napi_env env, napi_callback_info info) {
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return throw_errno(env, "prctl(NO_NEW_PRIVS)");
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) return throw_errno(env, "prctl(DUMPABLE)");
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) return throw_errno(env, "prctl(PDEATHSIG)");
  struct rlimit no_core = {0, 0};
  setrlimit(RLIMIT_CORE, &no_core);
  return NULL;
}

/**
 * batchScheduling(on: boolean): puts the calling thread under SCHED_BATCH, or back under
 * SCHED_OTHER. Same share of the CPU either way (the nice value is unchanged); a batch thread only
 * does not preempt a running one when it wakes. The zygote runs so: the fork of a child ahead of
 * demand then waits for a free CPU instead of preempting the host while it hands a run over. A
 * child goes back to SCHED_OTHER before it says it is ready, so its run is scheduled as any.
 * Unprivileged: moving between these two policies needs no capability.
 */
static napi_value BatchScheduling(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (set_own_policy(arg_bool(env, argc, argv, 0) ? SCHED_BATCH : SCHED_OTHER) != 0) return throw_errno(env, "sched_setscheduler");
  return NULL;
}

/** redirectToDevNull(fds: number[]): points each descriptor at /dev/null. */
static napi_value RedirectToDevNull(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  uint32_t length = 0;
  napi_get_array_length(env, argv[0], &length);
  for (uint32_t i = 0; i < length; i++) {
    napi_value element;
    napi_get_element(env, argv[0], i, &element);
    int fd = arg_int(env, element, -1);
    if (fd < 0) continue;
    if (null_fd >= 0) dup2(null_fd, fd);
    else close(fd);
  }
  if (null_fd >= 0) close(null_fd);
  return NULL;
}

/** closeFd(fd): closes a descriptor, ignoring EBADF. */
static napi_value CloseFd(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  close(arg_int(env, argv[0], -1));
  return NULL;
}

static int set_limit(int resource, double value) {
  if (value < 0) return 0;
  struct rlimit limit;
  limit.rlim_cur = (rlim_t)value;
  limit.rlim_max = (rlim_t)value;
  return setrlimit(resource, &limit);
}

/**
 * setLimits({ cpuSeconds, dataBytes, openFiles, fileSizeBytes }): hard resource limits for this
 * process. RLIMIT_DATA also caps WebAssembly memory growth, because V8 reserves linear memory
 * inaccessible and makes it writable as it grows, and the kernel charges that against the limit.
 */
static napi_value SetLimits(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  double cpu = prop_number(env, argv[0], "cpuSeconds", -1);
  if (cpu >= 0) {
    struct rlimit limit = {.rlim_cur = (rlim_t)cpu, .rlim_max = (rlim_t)cpu + 1};
    if (setrlimit(RLIMIT_CPU, &limit) != 0) return throw_errno(env, "setrlimit(CPU)");
  }
  if (set_limit(RLIMIT_DATA, prop_number(env, argv[0], "dataBytes", -1)) != 0) return throw_errno(env, "setrlimit(DATA)");
  if (set_limit(RLIMIT_NOFILE, prop_number(env, argv[0], "openFiles", -1)) != 0) return throw_errno(env, "setrlimit(NOFILE)");
  if (set_limit(RLIMIT_FSIZE, prop_number(env, argv[0], "fileSizeBytes", -1)) != 0) return throw_errno(env, "setrlimit(FSIZE)");
  return NULL;
}

/** dataBytes(): this process's data segment size (VmData), what RLIMIT_DATA is measured against. */
static napi_value DataBytes(napi_env env, napi_callback_info info) {
  char text[256];
  ssize_t length;
  if (statm_fd >= 0) {
    length = pread(statm_fd, text, sizeof text - 1, 0);
  } else {
    int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return make_int(env, -1);
    length = read(fd, text, sizeof text - 1);
    close(fd);
  }
  if (length <= 0) return make_int(env, -1);
  text[length] = 0;
  unsigned long size, resident, shared, code, lib, data;
  if (sscanf(text, "%lu %lu %lu %lu %lu %lu", &size, &resident, &shared, &code, &lib, &data) != 6) return make_int(env, -1);
  return make_int(env, (int64_t)data * sysconf(_SC_PAGESIZE));
}

/* ---- seccomp --------------------------------------------------------------------------- */

#if defined(__x86_64__)
#define UMCA_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define UMCA_AUDIT_ARCH AUDIT_ARCH_AARCH64
#else
#error "umca_sandbox supports x86_64 and aarch64"
#endif

#define MAX_FILTER 256
struct filter_builder {
  struct sock_filter program[MAX_FILTER];
  int length;
  int jumps_to[MAX_FILTER]; /* label id the true branch jumps to, or -1 */
  int labels[8];
};

enum { LABEL_ALLOW, LABEL_EPERM, LABEL_EACCES, LABEL_ENOSYS, LABEL_CLONE, LABEL_SELF_SIGNAL, LABEL_COUNT };

static void emit(struct filter_builder* builder, struct sock_filter instruction, int label) {
  builder->program[builder->length] = instruction;
  builder->jumps_to[builder->length] = label;
  builder->length++;
}

static void deny(struct filter_builder* builder, int nr, int label) {
  emit(builder, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)nr, 0, 0), label);
}

/**
 * installSeccomp(): from now on this process may not start programs, create processes (threads
 * are fine), open sockets, trace or signal other processes, create IPC objects that would outlive
 * it, or reach kernel interfaces that a sandboxed interpreter never needs (mount, bpf, io_uring,
 * keyrings, modules, ...).
 * Signals may only target this process itself.
 */
static napi_value InstallSeccomp(napi_env env, napi_callback_info info) {
  struct filter_builder builder = {.length = 0};
  for (int i = 0; i < LABEL_COUNT; i++) builder.labels[i] = -1;
  uint32_t self = (uint32_t)getpid();

  emit(&builder, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)), -1);
  emit(&builder, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, UMCA_AUDIT_ARCH, 1, 0), -1);
  emit(&builder, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS), -1);
  emit(&builder, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)), -1);
#if defined(__x86_64__)
  /* The x32 ABI reuses the x86_64 arch value with high syscall numbers: refuse all of it. */
  emit(&builder, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1), -1);
  emit(&builder, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS), -1);
#endif

  deny(&builder, __NR_clone, LABEL_CLONE);
  deny(&builder, __NR_kill, LABEL_SELF_SIGNAL);
  deny(&builder, __NR_tkill, LABEL_SELF_SIGNAL);
  deny(&builder, __NR_tgkill, LABEL_SELF_SIGNAL);
  deny(&builder, __NR_rt_sigqueueinfo, LABEL_SELF_SIGNAL);
  deny(&builder, __NR_rt_tgsigqueueinfo, LABEL_SELF_SIGNAL);

  const int eperm[] = {
    __NR_execve, __NR_execveat, __NR_ptrace, __NR_process_vm_readv, __NR_process_vm_writev,
    __NR_mount, __NR_umount2, __NR_pivot_root, __NR_chroot, __NR_unshare, __NR_setns, __NR_bpf,
    __NR_perf_event_open, __NR_keyctl, __NR_add_key, __NR_request_key, __NR_userfaultfd,
    __NR_init_module, __NR_finit_module, __NR_delete_module, __NR_kexec_load, __NR_kexec_file_load,
    __NR_reboot, __NR_swapon, __NR_swapoff, __NR_quotactl, __NR_acct, __NR_settimeofday,
    __NR_clock_settime, __NR_clock_adjtime, __NR_adjtimex, __NR_open_by_handle_at,
    __NR_name_to_handle_at, __NR_mbind, __NR_move_pages, __NR_migrate_pages, __NR_pidfd_open,
    __NR_pidfd_send_signal, __NR_pidfd_getfd, __NR_kcmp, __NR_fanotify_init, __NR_setpriority,
    __NR_fsopen, __NR_fsmount, __NR_fsconfig, __NR_move_mount, __NR_open_tree, __NR_mount_setattr,
    __NR_sethostname, __NR_setdomainname,
    /* System V and POSIX IPC objects outlive the process that made them: no run may leave one. */
    __NR_shmget, __NR_shmat, __NR_shmctl, __NR_shmdt, __NR_msgget, __NR_msgsnd, __NR_msgrcv,
    __NR_msgctl, __NR_semget, __NR_semop, __NR_semctl, __NR_semtimedop, __NR_mq_open, __NR_mq_unlink,
#if defined(__x86_64__)
    __NR_fork, __NR_vfork, __NR_iopl, __NR_ioperm, __NR_modify_ldt,
#endif
  };
  for (size_t i = 0; i < sizeof eperm / sizeof eperm[0]; i++) deny(&builder, eperm[i], LABEL_EPERM);

  const int eacces[] = {__NR_socket, __NR_socketpair, __NR_connect, __NR_bind, __NR_listen, __NR_accept, __NR_accept4};
  for (size_t i = 0; i < sizeof eacces / sizeof eacces[0]; i++) deny(&builder, eacces[i], LABEL_EACCES);

  /* ENOSYS makes glibc fall back to clone(2), whose flags the filter can read; io_uring is a
     large kernel attack surface that libuv only uses opportunistically. */
  const int enosys[] = {__NR_clone3, __NR_io_uring_setup, __NR_io_uring_enter, __NR_io_uring_register};
  for (size_t i = 0; i < sizeof enosys / sizeof enosys[0]; i++) deny(&builder, enosys[i], LABEL_ENOSYS);

  builder.labels[LABEL_ALLOW] = builder.length;
  emit(&builder, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW), -1);
  builder.labels[LABEL_EPERM] = builder.length;
  emit(&builder, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM), -1);
  builder.labels[LABEL_EACCES] = builder.length;
  emit(&builder, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EACCES), -1);
  builder.labels[LABEL_ENOSYS] = builder.length;
  emit(&builder, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS), -1);

  /* clone: threads only. */
  builder.labels[LABEL_CLONE] = builder.length;
  emit(&builder, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])), -1);
  emit(&builder, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, CLONE_THREAD, 0, 1), -1);
  emit(&builder, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW), -1);
  emit(&builder, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM), -1);

  /* kill, tkill, tgkill, rt_(tg)sigqueueinfo: the first argument must be this process. */
  builder.labels[LABEL_SELF_SIGNAL] = builder.length;
  emit(&builder, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])), -1);
  emit(&builder, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, self, 0, 1), -1);
  emit(&builder, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW), -1);
  emit(&builder, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM), -1);

  for (int i = 0; i < builder.length; i++) {
    int label = builder.jumps_to[i];
    if (label < 0) continue;
    int offset = builder.labels[label] - i - 1;
    if (offset < 0 || offset > 255) {
      napi_throw_error(env, "UMCA_SANDBOX_SECCOMP", "seccomp filter jump out of range");
      return NULL;
    }
    builder.program[i].jt = (unsigned char)offset;
    builder.program[i].jf = 0;
  }

  struct sock_fprog program = {.len = (unsigned short)builder.length, .filter = builder.program};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return throw_errno(env, "prctl(NO_NEW_PRIVS)");
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &program) != 0)
    return throw_errno(env, "seccomp");
  return NULL;
}

/* ---- process control ------------------------------------------------------------------- */

/**
 * exit(code, idle): ends this process at once, without running JavaScript exit handlers. With
 * idle, the process first moves itself to SCHED_IDLE: tearing down its address space (~1.5 ms for
 * a Python child) then waits for a CPU nothing else wants, instead of delaying the next run's
 * child. Any process may lower itself so; the host bounds how many do (sandbox-pool.ts).
 */
static napi_value Exit(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (arg_bool(env, argc, argv, 1)) set_own_policy(SCHED_IDLE);
  _exit(arg_int(env, argv[0], 0));
}

/**
 * killProcess(pid, signal): signals a live child of this process, through the pidfd kept since
 * its fork, so a pid that has ended and been reused can never be hit. Returns false when `pid` is
 * not a live child.
 */
static napi_value KillProcess(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int pid = arg_int(env, argv[0], -1);
  int signal_number = arg_int(env, argv[1], SIGKILL);
  napi_value out;
  for (int i = 0; i < child_count; i++) {
    if (children[i].pid != pid) continue;
    napi_get_boolean(env, syscall(SYS_pidfd_send_signal, children[i].pidfd, signal_number, NULL, 0) == 0, &out);
    return out;
  }
  napi_get_boolean(env, false, &out);
  return out;
}

NAPI_MODULE_INIT() {
  EXPORT("socketPair", SocketPair);
  EXPORT("sendFd", SendFd);
  EXPORT("waitEvent", WaitEvent);
  EXPORT("fork", Fork);
  EXPORT("checkRunNamespaces", CheckRunNamespaces);
  EXPORT("setRunWorkdir", SetRunWorkdir);
  EXPORT("isForkedChild", IsForkedChild);
  EXPORT("hardenProcess", HardenProcess);
  EXPORT("batchScheduling", BatchScheduling);
  EXPORT("redirectToDevNull", RedirectToDevNull);
  EXPORT("closeFd", CloseFd);
  EXPORT("setLimits", SetLimits);
  EXPORT("dataBytes", DataBytes);
  EXPORT("installSeccomp", InstallSeccomp);
  EXPORT("exit", Exit);
  EXPORT("killProcess", KillProcess);
  return exports;
}
