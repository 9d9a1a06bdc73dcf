#ifndef HERALD_CRESOLV_SHIM_H
#define HERALD_CRESOLV_SHIM_H
// libresolv for DNS TXT lookups. glibc names these functions through macros
// (res_ninit is __res_ninit, ...), which Swift cannot call, so the few Herald
// needs are wrapped here. Every call gets its own res_state: the res_n*
// functions are thread-safe with a state per caller.
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <resolv.h>

/// A new resolver state read from /etc/resolv.conf; NULL when out of memory.
static inline res_state herald_res_open(int timeout_seconds, int attempts) {
    res_state state = calloc(1, sizeof(struct __res_state));
    if (state == NULL) return NULL;
    if (res_ninit(state) != 0) {
        res_nclose(state);
        free(state);
        return NULL;
    }
    state->retrans = timeout_seconds;
    state->retry = attempts;
    return state;
}

static inline void herald_res_close(res_state state) {
    res_nclose(state);
    free(state);
}

/// Asks only `address` (IPv4 or IPv6, any port) instead of resolv.conf's
/// servers; -1 when the family is not supported.
static inline int herald_res_use_server(res_state state, const struct sockaddr *address) {
#ifdef __GLIBC__
    // resolv.conf's IPv6 servers live in the extension glibc keeps beside
    // nsaddr_list; drop them so res_send copies the new list afresh.
    for (int i = 0; i < MAXNS; i++) {
        free(state->_u._ext.nsaddrs[i]);
        state->_u._ext.nsaddrs[i] = NULL;
    }
    state->_u._ext.nscount = 0;
    memset(state->nsaddr_list, 0, sizeof(state->nsaddr_list));
    if (address->sa_family == AF_INET) {
        memcpy(&state->nsaddr_list[0], address, sizeof(struct sockaddr_in));
    } else if (address->sa_family == AF_INET6) {
        struct sockaddr_in6 *copy = malloc(sizeof(struct sockaddr_in6));
        if (copy == NULL) return -1;
        memcpy(copy, address, sizeof(struct sockaddr_in6));
        state->_u._ext.nsaddrs[0] = copy; // freed by res_nclose
    } else {
        return -1;
    }
    state->nscount = 1;
    return 0;
#else
    if (address->sa_family != AF_INET) return -1;
    memcpy(&state->nsaddr_list[0], address, sizeof(struct sockaddr_in));
    state->nscount = 1;
    return 0;
#endif
}

/// An IN-class query for `type`; the answer's length, or -1 (see herald_res_h_errno).
static inline int herald_res_query(res_state state, const char *name, int type, unsigned char *answer, int length) {
    return res_nquery(state, name, ns_c_in, type, answer, length);
}

/// Why the last query failed: HOST_NOT_FOUND, NO_DATA, TRY_AGAIN or NO_RECOVERY.
static inline int herald_res_h_errno(res_state state) { return state->res_h_errno; }

static inline int herald_ns_msg_count(const ns_msg *message, ns_sect section) {
    return ns_msg_count(*message, section);
}

#endif
