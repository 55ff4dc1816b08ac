/*
 * umca_forkfix: makes condition variables safe to use in a child forked from a multi-threaded
 * process. Loaded into the sandbox zygote with LD_PRELOAD.
 *
 * Why: the zygote is a Node process, and Node keeps worker threads blocked in pthread_cond_wait
 * on its task queues. fork() copies those condition variables with their waiters recorded in
 * them, but not the waiting threads. In the child, the first pthread_cond_signal on such a queue
 * (V8 posts garbage-collection jobs there) waits forever for the phantom waiters to acknowledge.
 *
 * What: after a fork, the first time the child touches a condition variable that it has not
 * initialised itself, the variable is reset to its initial state before the real call. No thread
 * can be waiting on it in the child at that moment (the child starts with one thread), so the
 * reset loses nothing.
 *
 * The same holds for locks: a mutex (or a read-write lock held for writing) that a zygote thread
 * held at the instant of the fork stays locked forever in the child, whose copy of that thread
 * does not exist. When a lock is busy in the child and its recorded owner is not a thread of
 * the child, it is an orphan: it is released before the real call.
 *
 * Before any fork (in the zygote itself) every call passes straight through.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define SLOTS 4096

static int in_child = 0;
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t* seen[SLOTS];

static int (*real_signal)(pthread_cond_t*);
static int (*real_broadcast)(pthread_cond_t*);
static int (*real_wait)(pthread_cond_t*, pthread_mutex_t*);
static int (*real_timedwait)(pthread_cond_t*, pthread_mutex_t*, const struct timespec*);
static int (*real_clockwait)(pthread_cond_t*, pthread_mutex_t*, clockid_t, const struct timespec*);
static int (*real_init)(pthread_cond_t*, const pthread_condattr_t*);
static int (*real_mutex_lock)(pthread_mutex_t*);
static int (*real_mutex_trylock)(pthread_mutex_t*);
static int (*real_rwlock_wrlock)(pthread_rwlock_t*);
static int (*real_rwlock_trywrlock)(pthread_rwlock_t*);
static int (*real_rwlock_rdlock)(pthread_rwlock_t*);
static int (*real_rwlock_tryrdlock)(pthread_rwlock_t*);

static void after_fork_in_child(void) {
  in_child = 1;
  memset(seen, 0, sizeof seen);
  pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
  memcpy(&table_lock, &fresh, sizeof fresh);
}

__attribute__((constructor)) static void setup(void) {
  real_signal = dlvsym(RTLD_NEXT, "pthread_cond_signal", "GLIBC_2.3.2");
  real_broadcast = dlvsym(RTLD_NEXT, "pthread_cond_broadcast", "GLIBC_2.3.2");
  real_wait = dlvsym(RTLD_NEXT, "pthread_cond_wait", "GLIBC_2.3.2");
  real_timedwait = dlvsym(RTLD_NEXT, "pthread_cond_timedwait", "GLIBC_2.3.2");
  real_init = dlvsym(RTLD_NEXT, "pthread_cond_init", "GLIBC_2.3.2");
  real_clockwait = dlsym(RTLD_NEXT, "pthread_cond_clockwait");
  if (!real_signal) real_signal = dlsym(RTLD_NEXT, "pthread_cond_signal");
  if (!real_broadcast) real_broadcast = dlsym(RTLD_NEXT, "pthread_cond_broadcast");
  if (!real_wait) real_wait = dlsym(RTLD_NEXT, "pthread_cond_wait");
  if (!real_timedwait) real_timedwait = dlsym(RTLD_NEXT, "pthread_cond_timedwait");
  if (!real_init) real_init = dlsym(RTLD_NEXT, "pthread_cond_init");
  real_mutex_lock = dlsym(RTLD_NEXT, "pthread_mutex_lock");
  real_mutex_trylock = dlsym(RTLD_NEXT, "pthread_mutex_trylock");
  real_rwlock_wrlock = dlsym(RTLD_NEXT, "pthread_rwlock_wrlock");
  real_rwlock_trywrlock = dlsym(RTLD_NEXT, "pthread_rwlock_trywrlock");
  real_rwlock_rdlock = dlsym(RTLD_NEXT, "pthread_rwlock_rdlock");
  real_rwlock_tryrdlock = dlsym(RTLD_NEXT, "pthread_rwlock_tryrdlock");
  pthread_atfork(NULL, NULL, after_fork_in_child);
}

/* True when `tid` is a live thread of this process. */
static int is_own_thread(pid_t tid) {
  if (tid <= 0) return 0;
  return syscall(SYS_tgkill, getpid(), tid, 0) == 0 || errno != ESRCH;
}

/* Marks `cond` as belonging to this child; resets it first if the child has not seen it yet. */
static void adopt(pthread_cond_t* cond, int reset) {
  if (!in_child) return;
  size_t slot = ((uintptr_t)cond >> 4) % SLOTS;
  pthread_mutex_lock(&table_lock);
  for (size_t probe = 0; probe < SLOTS; probe++) {
    size_t index = (slot + probe) % SLOTS;
    if (seen[index] == cond) break;
    if (seen[index] == NULL) {
      seen[index] = cond;
      if (reset) {
        pthread_cond_t fresh = PTHREAD_COND_INITIALIZER;
        memcpy(cond, &fresh, sizeof fresh);
      }
      break;
    }
  }
  pthread_mutex_unlock(&table_lock);
}

int pthread_cond_init(pthread_cond_t* cond, const pthread_condattr_t* attributes) {
  adopt(cond, 0);
  return real_init(cond, attributes);
}

int pthread_cond_signal(pthread_cond_t* cond) {
  adopt(cond, 1);
  return real_signal(cond);
}

int pthread_cond_broadcast(pthread_cond_t* cond) {
  adopt(cond, 1);
  return real_broadcast(cond);
}

int pthread_cond_wait(pthread_cond_t* cond, pthread_mutex_t* mutex) {
  adopt(cond, 1);
  return real_wait(cond, mutex);
}

int pthread_cond_timedwait(pthread_cond_t* cond, pthread_mutex_t* mutex, const struct timespec* deadline) {
  adopt(cond, 1);
  return real_timedwait(cond, mutex, deadline);
}

int pthread_cond_clockwait(pthread_cond_t* cond, pthread_mutex_t* mutex, clockid_t clock, const struct timespec* deadline) {
  adopt(cond, 1);
  return real_clockwait(cond, mutex, clock, deadline);
}

/* Plain mutex kinds record their owner; robust and priority-inheritance ones are left alone. */
static int records_owner(const pthread_mutex_t* mutex) {
  return (mutex->__data.__kind & ~3) == 0;
}

int pthread_mutex_lock(pthread_mutex_t* mutex) {
  if (!in_child) return real_mutex_lock(mutex);
  int status = real_mutex_trylock(mutex);
  if (status != EBUSY) return status;
  pid_t owner = mutex->__data.__owner;
  if (records_owner(mutex) && owner != 0 && owner != (pid_t)syscall(SYS_gettid) && !is_own_thread(owner)) {
    mutex->__data.__lock = 0;
    mutex->__data.__owner = 0;
    mutex->__data.__count = 0;
    mutex->__data.__nusers = 0;
  }
  return real_mutex_lock(mutex);
}

static void release_orphaned_writer(pthread_rwlock_t* lock) {
  pid_t writer = lock->__data.__cur_writer;
  if (writer != 0 && !is_own_thread(writer)) {
    pthread_rwlock_t fresh = PTHREAD_RWLOCK_INITIALIZER;
    unsigned char flags = lock->__data.__flags;
    memcpy(lock, &fresh, sizeof fresh);
    lock->__data.__flags = flags;
  }
}

int pthread_rwlock_wrlock(pthread_rwlock_t* lock) {
  if (!in_child) return real_rwlock_wrlock(lock);
  int status = real_rwlock_trywrlock(lock);
  if (status != EBUSY) return status;
  release_orphaned_writer(lock);
  return real_rwlock_wrlock(lock);
}

int pthread_rwlock_rdlock(pthread_rwlock_t* lock) {
  if (!in_child) return real_rwlock_rdlock(lock);
  int status = real_rwlock_tryrdlock(lock);
  if (status != EBUSY) return status;
  release_orphaned_writer(lock);
  return real_rwlock_rdlock(lock);
}
