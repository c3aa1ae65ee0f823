/* libcurl error → failure kind (see classify.h). */
#include "http_classify.h"

#include <errno.h>

uint32_t hn_classify_curl(CURLcode result, long os_errno)
{
    enum hn_fail f;
    switch (result) {
    case CURLE_COULDNT_CONNECT:
        if (os_errno == ECONNREFUSED)
            f = HN_FAIL_CONN_REFUSED;
        else if (os_errno == ENETUNREACH || os_errno == EHOSTUNREACH)
            f = HN_FAIL_UNREACHABLE;
        else if (os_errno == ETIMEDOUT)
            f = HN_FAIL_TIMEOUT;
        else
            f = HN_FAIL_CONNECT;
        break;
    case CURLE_OPERATION_TIMEDOUT:
        f = HN_FAIL_TIMEOUT;
        break;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        f = HN_FAIL_DNS;
        break;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_SHUTDOWN_FAILED:
        f = HN_FAIL_TLS;
        break;
    case CURLE_GOT_NOTHING:
        f = HN_FAIL_EMPTY_REPLY;
        break;
    case CURLE_SEND_ERROR:
        f = (os_errno == ECONNRESET || os_errno == EPIPE) ? HN_FAIL_CONN_RESET : HN_FAIL_SEND;
        break;
    case CURLE_RECV_ERROR:
        f = os_errno == ECONNRESET ? HN_FAIL_CONN_RESET : HN_FAIL_RECV;
        break;
    case CURLE_PARTIAL_FILE:
        /* The connection closed cleanly before the whole body came (a reset
         * is a RECV_ERROR): no system call failed, and CURLINFO_OS_ERRNO
         * still holds what an earlier transfer on the handle left there
         * (an audit saw "connection reset" after a reset two requests
         * before). The fast path says the same. */
        f = HN_FAIL_RECV;
        break;
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_BAD_CONTENT_ENCODING:
        f = HN_FAIL_BAD_RESPONSE;
        break;
    case CURLE_TOO_MANY_REDIRECTS:
        f = HN_FAIL_REDIRECTS;
        break;
    default:
        f = HN_FAIL_CLIENT;
        break;
    }
    return hn_fail_slot(f);
}
