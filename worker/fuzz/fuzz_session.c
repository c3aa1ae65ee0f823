/* libFuzzer target: the worker's handling of what its master sends, as the
 * session receives it (WELCOME, SCENARIO, TARGET, STOP, QUIT, anything).
 * The input is a sequence of frames, each prefixed by its length (2 bytes,
 * big endian); the session is first welcomed, so SCENARIO and TARGET are
 * applied: the blob decoded, checked and planned, the target fitted to the
 * capacity and handed to the engines. The session has no engine thread and
 * no connection, so nothing is sent and no request is made.
 * Seeds: worker/fuzz/corpus-session (written by make-session-seeds); run:
 * fuzz-session worker/fuzz/corpus-session */
#include <ev.h>
#include <fcntl.h>
#include <msgpack.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "log.h"
#include "msg.h"
#include "session.h"

static struct ev_loop *loop;
static msgpack_sbuffer welcome;

static void init_once(void)
{
    /* The session logs what it rejects: quiet, unless HN_FUZZ_LOG is set. */
    int null_fd = getenv("HN_FUZZ_LOG") ? -1 : open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (null_fd >= 0)
        hn_log_set_fd(null_fd);
    else
        hn_log_set_level(HN_LOG_DEBUG);
    loop = ev_loop_new(EVFLAG_AUTO);
    struct hn_msg m = {.type = HN_MSG_WELCOME};
    m.welcome.worker_index = 0;
    snprintf(m.welcome.run_id, sizeof(m.welcome.run_id), "fuzz-run");
    m.welcome.snapshot_interval_ms = 1000;
    msgpack_sbuffer_init(&welcome);
    if (!loop || hn_msg_encode(&m, &welcome))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!loop)
        init_once();
    static const struct hn_session_config cfg = {
        .master = "tcp://127.0.0.1:1",
        .worker_id = "fuzz",
        .threads = 0,
        .capacity = 64,
        .silence_stop_ms = 10000,
        .seed = 1,
    };
    struct hn_session *s;
    if (hn_session_new(&cfg, loop, &s))
        return 0;
    hn_session_deliver(s, welcome.data, welcome.size);
    while (size >= 2) {
        size_t len = (size_t)data[0] << 8 | data[1];
        data += 2, size -= 2;
        if (len > size)
            len = size;
        hn_session_deliver(s, data, len);
        data += len, size -= len;
    }
    hn_session_free(s);
    return 0;
}
