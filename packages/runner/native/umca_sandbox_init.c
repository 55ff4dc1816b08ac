/*
 * umca-sandbox-init: the first program bubblewrap runs. It gives the zygote an identity that is
 * never the host's root and the power to give each run its own namespaces, then runs the zygote.
 *
 *   umca-sandbox-init [--ids FIRST:COUNT] -- PROGRAM ARGS...
 *
 * 1. It enters a new user namespace whose ids 1000, 1001, ... stand for unprivileged host ids:
 *    with --ids (UMCA started as root; bubblewrap ran without a user namespace) the host ids
 *    FIRST .. FIRST+COUNT-1, mapped by a short-lived helper that still holds CAP_SETUID and
 *    CAP_SETGID; without it, the one id it runs as (UMCA started by a user). It becomes id 1000.
 * 2. It enters a new PID namespace and forks the zygote as that namespace's first process, so the
 *    zygote owns its PID namespace and may make one per run (see umca_sandbox.c, fork).
 * 3. The zygote keeps CAP_SYS_ADMIN (new PID namespaces for runs) and, with --ids, CAP_SETUID and
 *    CAP_SETGID (each run's own id) and CAP_KILL (ending a run that has another id), all of them
 *    only inside that user namespace, which owns no mount, network or host resource. Every other
 *    capability is gone, also from the bounding set.
 *
 * This process stays as the zygote's parent, without any capability, and exits with its status.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define SANDBOX_ID 1000
#define EXIT_SETUP 71

static void fail(const char* what) {
  fprintf(stderr, "umca-sandbox-init: %s failed: %s (errno %d)\n", what, strerror(errno), errno);
  _exit(EXIT_SETUP);
}

static void write_file(const char* path, const char* text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) fail(path);
  if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) fail(path);
  close(fd);
}

static void set_capabilities(uint64_t keep) {
  struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
  struct __user_cap_data_struct data[2];
  memset(data, 0, sizeof data);
  for (int i = 0; i < 2; i++) {
    uint32_t part = (uint32_t)(keep >> (32 * i));
    data[i].effective = data[i].permitted = data[i].inheritable = part;
  }
  if (syscall(SYS_capset, &header, data) != 0) fail("capset");
}

/* Maps the new user namespace of `pid`: ids SANDBOX_ID.. to FIRST.., by a process that may. */
static void map_ids(pid_t pid, unsigned long first, unsigned long count) {
  char path[64], map[96];
  snprintf(map, sizeof map, "%d %lu %lu\n", SANDBOX_ID, first, count);
  snprintf(path, sizeof path, "/proc/%d/uid_map", (int)pid);
  write_file(path, map);
  snprintf(path, sizeof path, "/proc/%d/gid_map", (int)pid);
  write_file(path, map);
}

static void enter_user_namespace(int privileged, unsigned long first, unsigned long count) {
  if (!privileged) {
    uid_t uid = geteuid();
    gid_t gid = getegid();
    if (uid == 0) {
      errno = EPERM;
      fail("refusing to map the host's root (use --ids) and");
    }
    if (unshare(CLONE_NEWUSER) != 0) fail("unshare(CLONE_NEWUSER)");
    char map[64];
    write_file("/proc/self/setgroups", "deny");
    snprintf(map, sizeof map, "%d %u 1\n", SANDBOX_ID, (unsigned)uid);
    write_file("/proc/self/uid_map", map);
    snprintf(map, sizeof map, "%d %u 1\n", SANDBOX_ID, (unsigned)gid);
    write_file("/proc/self/gid_map", map);
    return;
  }
  /* Only a process outside the new namespace, holding CAP_SETUID there, may map many ids. */
  int gate[2];
  if (pipe2(gate, O_CLOEXEC) != 0) fail("pipe");
  pid_t self = getpid();
  pid_t helper = fork();
  if (helper < 0) fail("fork");
  if (helper == 0) {
    char byte;
    close(gate[1]);
    if (read(gate[0], &byte, 1) != 1) _exit(EXIT_SETUP);
    map_ids(self, first, count);
    _exit(0);
  }
  close(gate[0]);
  if (unshare(CLONE_NEWUSER) != 0) fail("unshare(CLONE_NEWUSER)");
  if (write(gate[1], "m", 1) != 1) fail("write");
  close(gate[1]);
  int status = 0;
  while (waitpid(helper, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    errno = EPERM;
    fail("mapping the sandbox's user ids");
  }
  if (setgroups(0, NULL) != 0) fail("setgroups");
}

int main(int argc, char** argv) {
  int privileged = 0;
  unsigned long first = 0, count = 0;
  int index = 1;
  if (index + 1 < argc && strcmp(argv[index], "--ids") == 0) {
    if (sscanf(argv[index + 1], "%lu:%lu", &first, &count) != 2 || first == 0 || count < 2 || first + count > 0xfffffffeUL) {
      fprintf(stderr, "umca-sandbox-init: --ids needs FIRST:COUNT of unprivileged host ids, got %s\n", argv[index + 1]);
      return 2;
    }
    privileged = 1;
    index += 2;
  }
  if (index >= argc || strcmp(argv[index], "--") != 0 || index + 1 >= argc) {
    fprintf(stderr, "usage: umca-sandbox-init [--ids FIRST:COUNT] -- PROGRAM ARGS...\n");
    return 2;
  }
  char** program = argv + index + 1;

  enter_user_namespace(privileged, first, count);
  if (setresgid(SANDBOX_ID, SANDBOX_ID, SANDBOX_ID) != 0) fail("setresgid");
  if (setresuid(SANDBOX_ID, SANDBOX_ID, SANDBOX_ID) != 0) fail("setresuid");
  if (unshare(CLONE_NEWPID) != 0) fail("unshare(CLONE_NEWPID)");

  uint64_t keep = 1ULL << CAP_SYS_ADMIN;
  if (privileged) keep |= (1ULL << CAP_SETUID) | (1ULL << CAP_SETGID) | (1ULL << CAP_KILL);
  for (int cap = 0; cap <= 63; cap++) {
    if (keep & (1ULL << cap)) continue;
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) fail("prctl(PR_CAPBSET_DROP)");
  }

  pid_t zygote = fork();
  if (zygote < 0) fail("fork");
  if (zygote == 0) {
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) fail("prctl(PR_SET_PDEATHSIG)");
    set_capabilities(keep);
    for (int cap = 0; cap <= 63; cap++) {
      if ((keep & (1ULL << cap)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0) fail("prctl(PR_CAP_AMBIENT_RAISE)");
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fail("prctl(PR_SET_NO_NEW_PRIVS)");
    execv(program[0], program);
    fail(program[0]);
  }

  /* The parent only waits: no capability, nothing open but stderr. */
  syscall(SYS_close_range, 3U, ~0U, 0U);
  set_capabilities(0);
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fail("prctl(PR_SET_NO_NEW_PRIVS)");
  int status = 0;
  while (waitpid(zygote, &status, 0) < 0) {
    if (errno != EINTR) fail("waitpid");
  }
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}
