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
#include <node_api.h>
#include <uv.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
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

/**
 * fork(): number — forks the calling process. Returns the child's pid in the parent and 0 in the
 * child, where libuv's loop has been re-created so the child can use timers and promises.
 * The parent keeps a pidfd per child so waitEvent() reports its exit.
 */
static napi_value Fork(napi_env env, napi_callback_info info) {
  if (child_count >= MAX_CHILDREN) {
    napi_throw_error(env, "UMCA_SANDBOX_LIMIT", "the zygote already has 256 live children");
    return NULL;
  }
  allow_copy_on_fork();
  pid_t pid = fork();
  if (pid < 0) return throw_errno(env, "fork");
  if (pid == 0) {
    for (int i = 0; i < child_count; i++) close(children[i].pidfd);
    child_count = 0;
    int error = uv_loop_fork(uv_default_loop());
    if (error != 0) _exit(70);
    return make_int(env, 0);
  }
  int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (pidfd >= 0) {
    fcntl(pidfd, F_SETFD, FD_CLOEXEC);
    children[child_count].pid = pid;
    children[child_count].pidfd = pidfd;
    child_count++;
  }
  return make_int(env, pid);
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
  FILE* statm = fopen("/proc/self/statm", "re");
  if (!statm) return make_int(env, -1);
  unsigned long size, resident, shared, text, lib, data;
  int read = fscanf(statm, "%lu %lu %lu %lu %lu %lu", &size, &resident, &shared, &text, &lib, &data);
  fclose(statm);
  if (read != 6) return make_int(env, -1);
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

/** exit(code): ends this process at once, without running JavaScript exit handlers. */
static napi_value Exit(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  _exit(arg_int(env, argv[0], 0));
}

/** killProcess(pid, signal): returns false when the process is already gone. */
static napi_value KillProcess(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int pid = arg_int(env, argv[0], -1);
  if (pid <= 1) {
    napi_throw_range_error(env, "UMCA_SANDBOX_ARGUMENT", "killProcess needs a child pid");
    return NULL;
  }
  napi_value out;
  napi_get_boolean(env, kill(pid, arg_int(env, argv[1], SIGKILL)) == 0, &out);
  return out;
}

#define EXPORT(name, function)                                                          \
  do {                                                                                  \
    napi_value value;                                                                   \
    napi_create_function(env, name, NAPI_AUTO_LENGTH, function, NULL, &value);          \
    napi_set_named_property(env, exports, name, value);                                 \
  } while (0)

NAPI_MODULE_INIT() {
  EXPORT("socketPair", SocketPair);
  EXPORT("sendFd", SendFd);
  EXPORT("waitEvent", WaitEvent);
  EXPORT("fork", Fork);
  EXPORT("hardenProcess", HardenProcess);
  EXPORT("redirectToDevNull", RedirectToDevNull);
  EXPORT("closeFd", CloseFd);
  EXPORT("setLimits", SetLimits);
  EXPORT("dataBytes", DataBytes);
  EXPORT("installSeccomp", InstallSeccomp);
  EXPORT("exit", Exit);
  EXPORT("killProcess", KillProcess);
  return exports;
}
