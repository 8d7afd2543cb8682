// Per-source connection limit for Envoy's Wasm network filter (proxy-wasm ABI 0.2.1).
//
// Envoy 1.40 limits connections per filter chain (connection_limit) but not per client: a
// connection_limit_per_client filter exists in Envoy's source only after 1.40 (its @type is
// unknown to `envoy --mode validate` here). This program counts the open connections of each
// source (an IPv4 address, or an IPv6 /64 by default: one IPv6 host owns a whole /64) and closes a
// new connection at once when its source already holds the maximum.
//
// Envoy runs one copy of this program per worker thread, each with its own memory, so the limit
// holds per source and worker: with --concurrency N a source keeps at most N x the maximum. A
// source's entry is freed when its last connection closes, so memory stays bounded by the
// connections open on the worker (at most the overload manager's global cap).
//
// Configuration (the filter's plugin configuration, a google.protobuf.StringValue):
//   "max_connections_per_source=32 ipv6_prefix_length=64"
// Built by the gateway module with clang --target=wasm32; no libc.

#include <stddef.h>
#include <stdint.h>

#define IMPORT(name) __attribute__((import_module("env"), import_name(#name)))
#define EXPORT(name) __attribute__((export_name(#name)))

IMPORT(proxy_get_property)
uint32_t proxy_get_property(const char *path, size_t path_size, char **value, size_t *value_size);
IMPORT(proxy_get_buffer_bytes)
uint32_t proxy_get_buffer_bytes(uint32_t type, uint32_t start, uint32_t length, char **value,
                                size_t *value_size);
IMPORT(proxy_close_stream) uint32_t proxy_close_stream(uint32_t stream_type);
IMPORT(proxy_log) uint32_t proxy_log(uint32_t level, const char *message, size_t message_size);
IMPORT(proxy_define_metric)
uint32_t proxy_define_metric(uint32_t type, const char *name, size_t name_size, uint32_t *id);
IMPORT(proxy_increment_metric) uint32_t proxy_increment_metric(uint32_t id, int64_t offset);

enum { RESULT_OK = 0 };
enum { BUFFER_PLUGIN_CONFIGURATION = 7 };
enum { STREAM_DOWNSTREAM = 2 };
enum { ACTION_CONTINUE = 0, ACTION_PAUSE = 1 };
enum { LOG_WARN = 3, LOG_ERROR = 4 };
enum { METRIC_COUNTER = 0, METRIC_GAUGE = 1 };

// A source key: family (4 or 6) and the address bytes that identify the source, the rest zero.
#define KEY_SIZE 17
// Slots per table, a power of two above the connections one worker can hold (the overload
// manager's global cap of 10,000), so that linear probing stays short.
#define SLOTS 16384u
#define MASK (SLOTS - 1u)

typedef struct {
    uint8_t key[KEY_SIZE];
    uint8_t used;
    uint32_t connections;
} Source;

typedef struct {
    uint32_t context_id;  // 0 = empty (Envoy's context ids start at 1)
    uint8_t key[KEY_SIZE];
} Counted;

static Source sources[SLOTS];
static Counted counted[SLOTS];
static uint32_t max_per_source = 32;
static uint32_t ipv6_prefix_bits = 64;
static uint32_t refused_metric, untracked_metric, sources_metric;

// --- memory the host writes results into; every result is read within the call that asked for
// it, so the arena is reset at the start of each call from the host.
static uint8_t arena[65536];
static size_t arena_top;

EXPORT(proxy_on_memory_allocate) void *proxy_on_memory_allocate(size_t size) {
    size_t start = (arena_top + 7u) & ~(size_t)7u;
    if (start + size > sizeof(arena)) {
        return 0;
    }
    arena_top = start + size;
    return arena + start;
}

static void log_message(uint32_t level, const char *text) {
    size_t n = 0;
    while (text[n]) {
        n++;
    }
    proxy_log(level, text, n);
}

static int bytes_equal(const uint8_t *a, const uint8_t *b, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (a[i] != b[i]) {
            return 0;
        }
    }
    return 1;
}

static void bytes_copy(uint8_t *to, const uint8_t *from, size_t n) {
    for (size_t i = 0; i < n; i++) {
        to[i] = from[i];
    }
}

static uint32_t key_hash(const uint8_t *key) {
    uint32_t h = 2166136261u;  // FNV-1a
    for (size_t i = 0; i < KEY_SIZE; i++) {
        h = (h ^ key[i]) * 16777619u;
    }
    return h & MASK;
}

static uint32_t id_hash(uint32_t id) {
    return (id * 2654435761u) >> 18;  // Fibonacci hashing onto 14 bits (SLOTS = 2^14)
}

// Whether slot k, whose entry's home slot is `home`, may move back to the freed slot `gap`
// (linear probing's backward-shift delete: the entry stays reachable from its home).
static int may_fill(uint32_t gap, uint32_t k, uint32_t home) {
    return gap <= k ? (home <= gap || home > k) : (home <= gap && home > k);
}

static void source_remove(uint32_t gap) {
    for (uint32_t k = (gap + 1u) & MASK; sources[k].used; k = (k + 1u) & MASK) {
        if (may_fill(gap, k, key_hash(sources[k].key))) {
            sources[gap] = sources[k];
            gap = k;
        }
    }
    sources[gap].used = 0;
    sources[gap].connections = 0;
}

static void counted_remove(uint32_t gap) {
    for (uint32_t k = (gap + 1u) & MASK; counted[k].context_id; k = (k + 1u) & MASK) {
        if (may_fill(gap, k, id_hash(counted[k].context_id))) {
            counted[gap] = counted[k];
            gap = k;
        }
    }
    counted[gap].context_id = 0;
}

// Finds the source's slot, or the empty slot where it belongs; SLOTS if the table is full.
static uint32_t source_slot(const uint8_t *key) {
    uint32_t i = key_hash(key);
    for (uint32_t probes = 0; probes < SLOTS; probes++, i = (i + 1u) & MASK) {
        if (!sources[i].used || bytes_equal(sources[i].key, key, KEY_SIZE)) {
            return i;
        }
    }
    return SLOTS;
}

static uint32_t counted_slot(uint32_t context_id) {
    uint32_t i = id_hash(context_id);
    for (uint32_t probes = 0; probes < SLOTS; probes++, i = (i + 1u) & MASK) {
        if (counted[i].context_id == 0 || counted[i].context_id == context_id) {
            return i;
        }
    }
    return SLOTS;
}

// --- addresses as Envoy prints them: "192.0.2.1:443" or "[2001:db8::1]:443"

static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int parse_ipv4(const char *s, size_t n, uint8_t *out) {
    size_t part = 0;
    int value = -1;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || s[i] == '.') {
            if (value < 0 || part > 3) return 0;
            out[part++] = (uint8_t)value;
            value = -1;
        } else if (s[i] >= '0' && s[i] <= '9') {
            value = (value < 0 ? 0 : value * 10) + (s[i] - '0');
            if (value > 255) return 0;
        } else {
            return 0;
        }
    }
    return part == 4;
}

// RFC 4291 text (with "::" and an optional trailing dotted quad) into 16 bytes.
static int parse_ipv6(const char *s, size_t n, uint8_t *out) {
    uint16_t groups[8] = {0};
    int count = 0, gap = -1;
    size_t i = 0;
    if (n >= 2 && s[0] == ':' && s[1] == ':') {
        gap = 0;
        i = 2;
    }
    while (i < n) {
        size_t start = i;
        int value = 0, digits = 0, dot = 0;
        while (i < n && s[i] != ':') {
            dot |= s[i] == '.';
            i++;
        }
        if (dot) {  // ::ffff:192.0.2.1
            uint8_t quad[4];
            if (count > 6 || !parse_ipv4(s + start, i - start, quad)) return 0;
            groups[count++] = (uint16_t)(quad[0] << 8 | quad[1]);
            groups[count++] = (uint16_t)(quad[2] << 8 | quad[3]);
            break;
        }
        for (size_t j = start; j < i; j++) {
            int d = hex_digit(s[j]);
            if (d < 0 || ++digits > 4) return 0;
            value = value << 4 | d;
        }
        if (digits == 0 || count == 8) return 0;
        groups[count++] = (uint16_t)value;
        if (i < n) {  // at ':'
            i++;
            if (i < n && s[i] == ':') {
                if (gap >= 0) return 0;
                gap = count;
                i++;
            } else if (i == n) {
                return 0;
            }
        }
    }
    if (gap >= 0) {
        int tail = count - gap;
        if (count == 8) return 0;
        for (int k = 0; k < tail; k++) {
            groups[7 - k] = groups[count - 1 - k];
            groups[count - 1 - k] = 0;
        }
    } else if (count != 8) {
        return 0;
    }
    for (int k = 0; k < 8; k++) {
        out[2 * k] = (uint8_t)(groups[k] >> 8);
        out[2 * k + 1] = (uint8_t)groups[k];
    }
    return 1;
}

// The source key of "address:port": IPv4 by address, IPv6 by its first ipv6_prefix_bits bits.
static int source_key(const char *address, size_t n, uint8_t *key) {
    for (size_t i = 0; i < KEY_SIZE; i++) key[i] = 0;
    size_t colon = n;
    while (colon > 0 && address[colon - 1] != ':') colon--;
    if (colon == 0) return 0;
    size_t host_end = colon - 1;
    if (address[0] == '[') {
        if (host_end < 2 || address[host_end - 1] != ']') return 0;
        uint8_t bytes[16];
        if (!parse_ipv6(address + 1, host_end - 2, bytes)) return 0;
        key[0] = 6;
        for (uint32_t bit = 0; bit < ipv6_prefix_bits; bit++) {
            key[1 + bit / 8] |= bytes[bit / 8] & (uint8_t)(0x80u >> (bit % 8));
        }
        return 1;
    }
    key[0] = 4;
    return parse_ipv4(address, host_end, key + 1);
}

// --- configuration

static int parse_number(const char *s, size_t n, uint32_t *out) {
    uint32_t value = 0;
    if (n == 0 || n > 6) return 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        value = value * 10 + (uint32_t)(s[i] - '0');
    }
    *out = value;
    return 1;
}

static int name_is(const char *s, size_t n, const char *name) {
    size_t i = 0;
    for (; i < n && name[i]; i++) {
        if (s[i] != name[i]) return 0;
    }
    return i == n && name[i] == 0;
}

static int configure(const char *text, size_t n) {
    size_t i = 0;
    while (i < n) {
        while (i < n && text[i] == ' ') i++;
        size_t start = i, equals = n;
        while (i < n && text[i] != ' ') {
            if (text[i] == '=' && equals == n) equals = i;
            i++;
        }
        if (start == i) break;
        if (equals == n) return 0;
        uint32_t value;
        if (!parse_number(text + equals + 1, i - equals - 1, &value)) return 0;
        if (name_is(text + start, equals - start, "max_connections_per_source") && value >= 1) {
            max_per_source = value;
        } else if (name_is(text + start, equals - start, "ipv6_prefix_length") && value >= 1 &&
                   value <= 128) {
            ipv6_prefix_bits = value;
        } else {
            return 0;
        }
    }
    return 1;
}

static uint32_t metric(uint32_t type, const char *name) {
    size_t n = 0;
    uint32_t id = 0;
    while (name[n]) n++;
    proxy_define_metric(type, name, n, &id);
    return id;
}

// --- the ABI's entry points

EXPORT(proxy_abi_version_0_2_1) void proxy_abi_version_0_2_1(void) {}

EXPORT(proxy_on_context_create) void proxy_on_context_create(uint32_t id, uint32_t parent) {
    (void)id;
    (void)parent;
}

EXPORT(proxy_on_vm_start) uint32_t proxy_on_vm_start(uint32_t root, uint32_t size) {
    (void)root;
    (void)size;
    arena_top = 0;
    refused_metric = metric(METRIC_COUNTER, "connection_limit_per_source.refused");
    untracked_metric = metric(METRIC_COUNTER, "connection_limit_per_source.untracked");
    sources_metric = metric(METRIC_GAUGE, "connection_limit_per_source.sources");
    return 1;
}

EXPORT(proxy_on_configure) uint32_t proxy_on_configure(uint32_t root, uint32_t size) {
    (void)root;
    arena_top = 0;
    char *text = 0;
    size_t n = 0;
    if (size > 0 &&
        proxy_get_buffer_bytes(BUFFER_PLUGIN_CONFIGURATION, 0, size, &text, &n) != RESULT_OK) {
        return 0;
    }
    if (!configure(text, n)) {
        log_message(LOG_ERROR, "connection_limit_per_source: configuration must read "
                               "'max_connections_per_source=N ipv6_prefix_length=1..128'");
        return 0;
    }
    return 1;
}

EXPORT(proxy_on_new_connection) uint32_t proxy_on_new_connection(uint32_t context_id) {
    arena_top = 0;
    static const char path[] = "source\0address";
    char *address = 0;
    size_t n = 0;
    uint8_t key[KEY_SIZE];
    if (proxy_get_property(path, sizeof(path) - 1, &address, &n) != RESULT_OK ||
        !source_key(address, n, key)) {
        return ACTION_CONTINUE;  // not an IP peer (a pipe): nothing to count
    }
    uint32_t s = source_slot(key);
    uint32_t c = counted_slot(context_id);
    if (s == SLOTS || c == SLOTS) {  // cannot happen below the global cap; fail open, visibly
        proxy_increment_metric(untracked_metric, 1);
        return ACTION_CONTINUE;
    }
    if (sources[s].used && sources[s].connections >= max_per_source) {
        proxy_increment_metric(refused_metric, 1);
        proxy_close_stream(STREAM_DOWNSTREAM);
        return ACTION_PAUSE;
    }
    if (!sources[s].used) {
        bytes_copy(sources[s].key, key, KEY_SIZE);
        sources[s].used = 1;
        proxy_increment_metric(sources_metric, 1);
    }
    sources[s].connections++;
    counted[c].context_id = context_id;
    bytes_copy(counted[c].key, key, KEY_SIZE);
    return ACTION_CONTINUE;
}

// Gives back the connection's place, once: on close, or when Envoy deletes the context.
static void release(uint32_t context_id) {
    uint32_t c = counted_slot(context_id);
    if (c == SLOTS || counted[c].context_id != context_id) {
        return;
    }
    uint32_t s = source_slot(counted[c].key);
    counted_remove(c);
    if (s == SLOTS || !sources[s].used) {
        return;
    }
    if (--sources[s].connections == 0) {
        source_remove(s);
        proxy_increment_metric(sources_metric, -1);
    }
}

EXPORT(proxy_on_downstream_connection_close)
void proxy_on_downstream_connection_close(uint32_t context_id, uint32_t peer) {
    (void)peer;
    arena_top = 0;
    release(context_id);
}

EXPORT(proxy_on_delete) void proxy_on_delete(uint32_t context_id) {
    arena_top = 0;
    release(context_id);
}

EXPORT(proxy_on_downstream_data)
uint32_t proxy_on_downstream_data(uint32_t context_id, uint32_t size, uint32_t end) {
    (void)context_id;
    (void)size;
    (void)end;
    return ACTION_CONTINUE;
}

EXPORT(proxy_on_upstream_data)
uint32_t proxy_on_upstream_data(uint32_t context_id, uint32_t size, uint32_t end) {
    (void)context_id;
    (void)size;
    (void)end;
    return ACTION_CONTINUE;
}

EXPORT(proxy_on_upstream_connection_close)
void proxy_on_upstream_connection_close(uint32_t context_id, uint32_t peer) {
    (void)context_id;
    (void)peer;
}

EXPORT(proxy_on_done) uint32_t proxy_on_done(uint32_t context_id) {
    (void)context_id;
    return 1;
}

EXPORT(proxy_on_log) void proxy_on_log(uint32_t context_id) { (void)context_id; }
