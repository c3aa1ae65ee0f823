/* Local worker processes (see local_workers.h). */
#include "local_workers.h"
#include "clock.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* hornet-worker next to us (installed layout), or in ../worker/ (build
 * tree); NULL means "search $PATH". */
static const char *find_worker(char *buf, size_t len)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0)
        return NULL;
    self[n] = '\0';
    const char *dir = dirname(self);
    snprintf(buf, len, "%s/hornet-worker", dir);
    if (access(buf, X_OK) == 0)
        return buf;
    snprintf(buf, len, "%s/../worker/hornet-worker", dir);
    if (access(buf, X_OK) == 0)
        return buf;
    return NULL;
}

static bool executable(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

int hn_local_workers_find(const char *bin, char *out, size_t len)
{
    if (bin) {
        snprintf(out, len, "%s", bin);
        return executable(bin) ? 0 : -ENOENT;
    }
    if (find_worker(out, len))
        return 0;
    const char *path = getenv("PATH");
    while (path && *path) {
        size_t n = strcspn(path, ":");
        snprintf(out, len, "%.*s/hornet-worker", (int)n, path);
        if (n && executable(out))
            return 0;
        path += n + (path[n] == ':');
    }
    return -ENOENT;
}

/* A pipe holding @secret and a line end, for the child to read as
 * /dev/fd/N: the secret never shows in a command line or a file. Returns
 * the read end, or -errno. */
static int secret_pipe(const char *secret)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return -errno;
    char line[HN_CURVE_KEY_Z85_LEN + 2];
    int n = snprintf(line, sizeof(line), "%s\n", secret);
    /* Far below the pipe's buffer: never blocks. */
    ssize_t w = write(fds[1], line, (size_t)n);
    int err = w == n ? 0 : -EIO;
    close(fds[1]);
    if (err) {
        close(fds[0]);
        return err;
    }
    return fds[0];
}

int hn_local_workers_start(struct hn_local_workers *lw, uint32_t n, const char *endpoint,
                           uint32_t threads, const char *bin, const struct hn_local_curve *curve)
{
    char found[PATH_MAX + 32];
    if (hn_local_workers_find(bin, found, sizeof(found)))
        return -ENOENT;
    const char *prog = found;
    char threads_arg[16];
    snprintf(threads_arg, sizeof(threads_arg), "%u", threads);
    lw->n = 0;
    if (!(lw->pids = calloc(n ? n : 1, sizeof(*lw->pids))))
        return -ENOMEM;
    pid_t master = getpid();
    for (uint32_t i = 0; i < n; i++) {
        int key_fd = curve ? secret_pipe(curve->workers[i].secret_z85) : -1;
        if (curve && key_fd < 0)
            return key_fd;
        pid_t pid = fork();
        if (pid < 0) {
            int err = -errno;
            if (key_fd >= 0)
                close(key_fd);
            return err;
        }
        if (pid == 0) {
            setpgid(0, 0);
            prctl(PR_SET_PDEATHSIG, SIGTERM);
            if (getppid() != master) /* the master died before prctl */
                _exit(1);
            /* fd 3 holds the worker's secret key (dup2 clears close-on-exec). */
            if (key_fd == 3)
                fcntl(3, F_SETFD, 0);
            else if (key_fd >= 0 && dup2(key_fd, 3) != 3)
                _exit(127);
            const char *level = hn_log_enabled(HN_LOG_DEBUG) ? "debug" : "warn";
            char *argv[16] = {(char *)prog, "--master",    (char *)endpoint, "--threads",
                              threads_arg,  "--log-level", (char *)level};
            int argc = 7;
            if (curve) {
                argv[argc++] = "--curve-secret";
                argv[argc++] = "/dev/fd/3";
                argv[argc++] = "--master-key";
                argv[argc++] = (char *)curve->master_public_z85;
            }
            argv[argc] = NULL;
            execv(prog, argv);
            fprintf(stderr, "hornet-master: cannot run %s: %s\n", argv[0], strerror(errno));
            _exit(127);
        }
        if (key_fd >= 0)
            close(key_fd);
        lw->pids[lw->n++] = pid;
    }
    hn_log_info("started %u local workers (%s, %u threads each%s)", n, prog, threads,
                curve ? ", CurveZMQ with throwaway keys" : "");
    return 0;
}

static uint32_t reap_exited(struct hn_local_workers *lw)
{
    uint32_t alive = 0;
    for (uint32_t i = 0; i < lw->n; i++) {
        if (lw->pids[i] <= 0)
            continue;
        int status;
        pid_t r = waitpid(lw->pids[i], &status, WNOHANG);
        if (r == lw->pids[i] || (r < 0 && errno == ECHILD))
            lw->pids[i] = 0;
        else
            alive++;
    }
    return alive;
}

uint32_t hn_local_workers_running(struct hn_local_workers *lw)
{
    return lw->pids ? reap_exited(lw) : 0;
}

static void wait_for_exit(struct hn_local_workers *lw, uint64_t ms)
{
    uint64_t end = hn_clock_mono_ns() + ms * 1000000u;
    while (reap_exited(lw) && hn_clock_mono_ns() < end)
        nanosleep(&(struct timespec){0, 20 * 1000000}, NULL);
}

static void signal_all(struct hn_local_workers *lw, int sig)
{
    for (uint32_t i = 0; i < lw->n; i++)
        if (lw->pids[i] > 0)
            kill(lw->pids[i], sig);
}

void hn_local_workers_reap(struct hn_local_workers *lw, uint64_t grace_ms)
{
    if (!lw->pids)
        return;
    wait_for_exit(lw, grace_ms);
    if (reap_exited(lw)) {
        signal_all(lw, SIGTERM);
        wait_for_exit(lw, 2000);
    }
    if (reap_exited(lw)) {
        hn_log_warn("local workers did not exit: killing them");
        signal_all(lw, SIGKILL);
        wait_for_exit(lw, 1000);
    }
    free(lw->pids);
    lw->pids = NULL;
    lw->n = 0;
}
