/*
 * cli-bridge.c - `shmring bridge`: a ring's messages over ZeroMQ to
 * another host, and back into a ring there. Uses only the public API of
 * libshmring and libzmq. Owns the command line, the ZeroMQ socket and
 * its security, the wire framing and the two pumps (ring -> network,
 * network -> ring); the state kept in the rings is bridge-area.h's.
 *
 * The wire: each ZeroMQ message is one batch of ring messages,
 *
 *   header (32 bytes, little-endian): magic "SRB1" (u32), version (u16),
 *     flags (u16: 1 = end of stream), count (u32), reserved (u32),
 *     stream id (u64), sequence number of the first message (u64);
 *   then count records: length (u32), payload.
 *
 * A stream is one sending bridge's numbering (its id random, kept with
 * the last number given out in the source ring's application area, so a
 * restarted sender continues it). The receiving bridge records, per
 * stream, the last number it put into the destination ring, in that
 * ring's application area, before it puts the batch in; it drops what
 * comes at or below it. A bridge killed and restarted on either side
 * therefore never delivers a message twice nor out of order; it loses
 * at most what was in flight (see shmring(1), "bridge").
 *
 * Copyright the shmring authors. SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <endian.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>
#include <zmq.h>

#include "bridge-area.h"
#include "cli.h"

static const char bridge_help[] =
	"Usage: shmring bridge [OPTION]... FROM TO\n"
	"\n"
	"Carry a ring's messages over ZeroMQ. One of FROM and TO is a ring\n"
	"name, the other an endpoint: tcp://HOST:PORT or ipc://PATH.\n"
	"  ring -> endpoint: attach as a consumer, send on a PUSH socket\n"
	"                    (PUB with --pub);\n"
	"  endpoint -> ring: attach as a producer, receive on a PULL socket\n"
	"                    (SUB with --pub).\n"
	"An endpoint tcp://*:PORT, or --bind, binds; otherwise it connects\n"
	"(and reconnects by itself). At the end of the source ring's stream the\n"
	"end of stream is sent on, and the receiving bridge detaches.\n"
	"Plain TCP is for trusted networks only: give CURVE keys elsewhere.\n"
	"\n"
	"  --bind                  bind the endpoint instead of connecting\n"
	"  --pub                   PUB/SUB instead of PUSH/PULL\n"
	"  --hwm N                 ZeroMQ high-water mark, in batches (100;\n"
	"                          0: none, memory unbounded)\n"
	"  --batch N               ring messages per ZeroMQ message, at most\n"
	"                          (64)\n"
	"  --tcp-buf BYTES         kernel socket buffers, 64k or more\n"
	"                          (default: the kernel's, growing)\n"
	"  --curve-secret-key KEY  this side's CURVE secret key (Z85, or\n"
	"                          @FILE); alone, this side is the CURVE server\n"
	"  --curve-public-key KEY  this side's public key (default: derived)\n"
	"  --curve-server-key KEY  the server's public key: this side is a\n"
	"                          CURVE client\n"
	"  --curve-clients FILE    a CURVE server lets in only the clients\n"
	"                          whose public keys FILE lists, one a line\n"
	"  --keygen                print a new key pair and exit\n"
	"  -v, --verbose           the endpoint bound, and rates every second\n"
	"  --help                  this text\n";

#define WIRE_MAGIC 0x31425253u /* "SRB1" */
#define WIRE_VERSION 1
#define WIRE_EOS 0x1
#define WIRE_HDR 32
#define TICK_MS 100
#define BATCH_BUF_MAX ((size_t)64 << 20)

struct cfg {
	const char *ring, *endpoint;
	bool out; /* ring -> network */
	bool bind, pub, verbose;
	uint64_t hwm, batch, tcp_buf;
	int64_t max_frame; /* receiving: the largest batch a sender makes */
	char secret[41], public_[41], server[41];
	const char *clients; /* --curve-clients FILE */
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* ---- keys ------------------------------------------------------------ */

/* A Z85 key from @arg, or from the file it names after '@'; 0 or -1. */
static int load_key(const char *arg, char out[41])
{
	char buf[128] = "";
	uint8_t raw[32];
	size_t n = 0;

	if (arg[0] == '@') {
		FILE *f = fopen(arg + 1, "r");
		if (!f) {
			cli_err(arg + 1, "%s", strerror(errno));
			return -1;
		}
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = 0;
		buf[strcspn(buf, " \t\r\n")] = 0;
	} else {
		snprintf(buf, sizeof(buf), "%s", arg);
	}
	if (strlen(buf) != 40 || !zmq_z85_decode(raw, buf)) {
		cli_usage("bad CURVE key (40 characters of Z85 expected)");
		return -1;
	}
	memcpy(out, buf, 41);
	return 0;
}

static int keygen(void)
{
	char pub[41], sec[41];

	if (!zmq_has("curve") || zmq_curve_keypair(pub, sec)) {
		cli_err(NULL, "this libzmq has no CURVE");
		return CLI_FAIL;
	}
	printf("public-key %s\nsecret-key %s\n", pub, sec);
	return 0;
}

/* ---- command line ---------------------------------------------------- */

static int parse_num(const char *opt, const char *s, uint64_t *v, bool size)
{
	if (size ? cli_parse_size(s, v) : cli_parse_count(s, v))
		return cli_usage("bad %s '%s'", opt, s);
	return 0;
}

static int parse_opt(int c, struct cfg *cfg)
{
	switch (c) {
	case 'b': cfg->bind = true; return 0;
	case 'p': cfg->pub = true; return 0;
	case 'v': cfg->verbose = true; return 0;
	case 'H': return parse_num("--hwm", optarg, &cfg->hwm, true);
	case 'B': return parse_num("--batch", optarg, &cfg->batch, false);
	case 'T': return parse_num("--tcp-buf", optarg, &cfg->tcp_buf, true);
	case 'S': return load_key(optarg, cfg->secret) ? CLI_USAGE : 0;
	case 'P': return load_key(optarg, cfg->public_) ? CLI_USAGE : 0;
	case 'K': return load_key(optarg, cfg->server) ? CLI_USAGE : 0;
	case 'C': cfg->clients = optarg; return 0;
	default: return CLI_USAGE;
	}
}

static int parse_args(int argc, char **argv, struct cfg *cfg)
{
	static const struct option opts[] = {
		{ "bind", no_argument, NULL, 'b' },
		{ "pub", no_argument, NULL, 'p' },
		{ "hwm", required_argument, NULL, 'H' },
		{ "batch", required_argument, NULL, 'B' },
		{ "tcp-buf", required_argument, NULL, 'T' },
		{ "curve-secret-key", required_argument, NULL, 'S' },
		{ "curve-public-key", required_argument, NULL, 'P' },
		{ "curve-server-key", required_argument, NULL, 'K' },
		{ "curve-clients", required_argument, NULL, 'C' },
		{ "keygen", no_argument, NULL, 'g' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, ret;

	while ((c = cli_getopt(argc, argv, "vh", opts)) != -1) {
		/* -1: done, exit 0 */
		if (c == 'h')
			return cli_help(bridge_help) - 1;
		if (c == 'g')
			return keygen() ? CLI_FAIL : -1;
		ret = parse_opt(c, cfg);
		if (ret)
			return ret;
	}
	if (argc - optind != 2)
		return cli_usage("FROM and TO expected");
	const char *from = argv[optind], *to = argv[optind + 1];
	bool from_ep = strstr(from, "://") != NULL;
	if (from_ep == (strstr(to, "://") != NULL))
		return cli_usage("one of FROM and TO must be an endpoint, "
				 "the other a ring");
	cfg->out = !from_ep;
	cfg->ring = from_ep ? to : from;
	cfg->endpoint = from_ep ? from : to;
	if (!strncmp(cfg->endpoint, "tcp://*:", 8))
		cfg->bind = true;
	if (cfg->hwm > INT32_MAX || cfg->batch > 65536 || cfg->tcp_buf > INT32_MAX)
		return cli_usage("--hwm, --batch or --tcp-buf too large");
	/* Smaller kernel buffers lost the last messages of a stream in
	 * libzmq 4.3.4 (see shmring(1), "bridge"). */
	if (cfg->tcp_buf && cfg->tcp_buf < 65536)
		return cli_usage("--tcp-buf below 64k");
	if ((cfg->server[0] || cfg->public_[0]) && !cfg->secret[0])
		return cli_usage("a CURVE client needs --curve-secret-key too");
	if (cfg->clients && (!cfg->secret[0] || cfg->server[0]))
		return cli_usage("--curve-clients is for a CURVE server");
	if (cfg->secret[0] && !zmq_has("curve")) {
		cli_err(NULL, "this libzmq has no CURVE: cannot encrypt");
		return CLI_FAIL;
	}
	return 0;
}

/* ---- the socket ------------------------------------------------------ */

static int sockopt_int(void *s, int opt, int v)
{
	return zmq_setsockopt(s, opt, &v, sizeof(v));
}

static int set_curve(void *s, struct cfg *cfg)
{
	if (!cfg->secret[0])
		return 0;
	if (!cfg->server[0]) /* the server knows only its secret key */
		return sockopt_int(s, ZMQ_CURVE_SERVER, 1) ||
		       zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, cfg->secret, 40);
	if (!cfg->public_[0] && zmq_curve_public(cfg->public_, cfg->secret))
		return -1;
	return zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, cfg->server, 40) ||
	       zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, cfg->public_, 40) ||
	       zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, cfg->secret, 40);
}

/* Set up the socket of @type; NULL (after saying why) on failure. */
static void *open_socket(void *ctx, struct cfg *cfg, int type)
{
	void *s = zmq_socket(ctx, type);
	int hwm = (int)cfg->hwm, buf = (int)cfg->tcp_buf;

	if (!s ||
	    sockopt_int(s, cfg->out ? ZMQ_SNDHWM : ZMQ_RCVHWM, hwm) ||
	    sockopt_int(s, ZMQ_SNDTIMEO, TICK_MS) ||
	    sockopt_int(s, ZMQ_RCVTIMEO, TICK_MS) ||
	    (buf && (sockopt_int(s, ZMQ_SNDBUF, buf) ||
		     sockopt_int(s, ZMQ_RCVBUF, buf))) ||
	    (type == ZMQ_PUB && sockopt_int(s, ZMQ_XPUB_NODROP, 1)) ||
	    (type == ZMQ_SUB && zmq_setsockopt(s, ZMQ_SUBSCRIBE, "", 0)) ||
	    (!cfg->out && zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &cfg->max_frame,
					 sizeof(cfg->max_frame))) ||
	    set_curve(s, cfg))
		goto fail;
	if (cfg->bind ? zmq_bind(s, cfg->endpoint)
		      : zmq_connect(s, cfg->endpoint))
		goto fail;
	if (cfg->verbose && cfg->bind) {
		char ep[256];
		size_t n = sizeof(ep);
		if (!zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, ep, &n))
			fprintf(stderr, "shmring: bridge: bound %s\n", ep);
	}
	return s;
fail:
	cli_err(cfg->endpoint, "%s", zmq_strerror(zmq_errno()));
	if (s)
		zmq_close(s);
	return NULL;
}

/* ---- connection events (-v) ----------------------------------------- */

/* The socket's monitor, read at each tick when -v asks for events. */
static void *monitor;

static void *open_monitor(void *ctx, void *sock)
{
	char ep[64];
	void *m;

	snprintf(ep, sizeof(ep), "inproc://shmring-bridge-monitor");
	if (zmq_socket_monitor(sock, ep,
			       ZMQ_EVENT_CONNECTED | ZMQ_EVENT_ACCEPTED |
				       ZMQ_EVENT_DISCONNECTED |
				       ZMQ_EVENT_HANDSHAKE_SUCCEEDED |
				       ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
				       ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
				       ZMQ_EVENT_HANDSHAKE_FAILED_AUTH))
		return NULL;
	m = zmq_socket(ctx, ZMQ_PAIR);
	if (m && zmq_connect(m, ep)) {
		zmq_close(m);
		m = NULL;
	}
	return m;
}

static const char *event_name(unsigned ev)
{
	switch (ev) {
	case ZMQ_EVENT_CONNECTED: return "connected";
	case ZMQ_EVENT_ACCEPTED: return "accepted";
	case ZMQ_EVENT_DISCONNECTED: return "disconnected";
	case ZMQ_EVENT_HANDSHAKE_SUCCEEDED: return "handshake succeeded";
	case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
		return "handshake failed: not authenticated";
	default: return "handshake failed: wrong keys or security";
	}
}

/* Say what happened to the connections since the last look. */
static void watch_events(void)
{
	uint8_t head[6];
	char addr[256];

	while (monitor &&
	       zmq_recv(monitor, head, sizeof(head), ZMQ_DONTWAIT) >= 0) {
		int n = zmq_recv(monitor, addr, sizeof(addr) - 1, ZMQ_DONTWAIT);
		uint16_t ev;
		memcpy(&ev, head, 2);
		addr[n > 0 ? (n < (int)sizeof(addr) ? n : (int)sizeof(addr) - 1)
			   : 0] = 0;
		fprintf(stderr, "shmring: bridge: %s %s\n", addr,
			event_name(ev));
	}
}

/* ---- client authentication (--curve-clients) ------------------------ */

/*
 * libzmq asks a ZAP handler, a REP socket at inproc://zeromq.zap.01 of
 * the same context, whether a client may in (RFC 27); this one answers
 * at each tick, a handshake waiting at most one, from the keys listed.
 */
static void *zap;
static uint8_t (*allowed)[32];
static size_t nallowed;

static int load_clients(const char *path)
{
	char line[256];
	FILE *f = fopen(path, "r");
	int ret = 0;

	if (!f) {
		cli_err(path, "%s", strerror(errno));
		return -1;
	}
	while (!ret && fgets(line, sizeof(line), f)) {
		/* '#' is a Z85 digit too: a comment is a whole line. */
		line[strcspn(line, " \t\r\n")] = 0;
		if (!line[0] || line[0] == '#')
			continue;
		uint8_t(*p)[32] = realloc(allowed, (nallowed + 1) * 32);
		if (p)
			allowed = p;
		if (!p || strlen(line) != 40 ||
		    !zmq_z85_decode(allowed[nallowed], line)) {
			cli_err(path, "not a Z85 public key: %.40s", line);
			ret = -1;
		}
		nallowed++;
	}
	fclose(f);
	return ret;
}

static int allowed_key(const zmq_msg_t *key)
{
	for (size_t i = 0; zmq_msg_size(key) == 32 && i < nallowed; i++)
		if (!memcmp(allowed[i], zmq_msg_data((zmq_msg_t *)key), 32))
			return 1;
	return 0;
}

/* Answer the ZAP requests waiting: 200 for a listed key, 400 else. */
static void serve_zap(void)
{
	/* version, request id, domain, address, identity, mechanism, key */
	enum { ID = 1, KEY = 6, NF = 7 };
	zmq_msg_t f[NF];

	while (zap) {
		int n = 0, more = 1;
		for (; more; n++) {
			zmq_msg_t *m = &f[n < NF ? n : NF - 1];
			if (n >= NF) /* a frame too many: keep the last */
				zmq_msg_close(m);
			zmq_msg_init(m);
			if (zmq_msg_recv(m, zap, n ? 0 : ZMQ_DONTWAIT) < 0) {
				zmq_msg_close(m);
				if (!n)
					return; /* none waiting */
				break;
			}
			more = zmq_msg_more(m);
		}
		int ok = n == NF && allowed_key(&f[KEY]);
		zmq_send(zap, "1.0", 3, ZMQ_SNDMORE);
		if (n > ID)
			zmq_send(zap, zmq_msg_data(&f[ID]), zmq_msg_size(&f[ID]),
				 ZMQ_SNDMORE);
		else
			zmq_send(zap, "", 0, ZMQ_SNDMORE);
		zmq_send(zap, ok ? "200" : "400", 3, ZMQ_SNDMORE);
		zmq_send(zap, ok ? "OK" : "key not listed", ok ? 2 : 14,
			 ZMQ_SNDMORE);
		zmq_send(zap, "", 0, ZMQ_SNDMORE);
		zmq_send(zap, "", 0, 0);
		for (int i = 0; i < n && i < NF; i++)
			zmq_msg_close(&f[i]);
	}
}

static int open_zap(void *ctx, const struct cfg *cfg)
{
	if (!cfg->clients)
		return 0;
	if (load_clients(cfg->clients))
		return -1;
	zap = zmq_socket(ctx, ZMQ_REP);
	if (!zap || zmq_bind(zap, "inproc://zeromq.zap.01")) {
		cli_err(NULL, "ZAP handler: %s", zmq_strerror(zmq_errno()));
		return -1;
	}
	return 0;
}

/* ---- rates ----------------------------------------------------------- */

struct meter {
	uint64_t t0, msgs0, bytes0, next;
	struct bridge_slot *slot;
};

static uint64_t rd(_Atomic uint64_t *v)
{
	/* Relaxed: counters this process writes, read for display. */
	return atomic_load_explicit(v, memory_order_relaxed);
}

static void add(_Atomic uint64_t *v, uint64_t n)
{
	/* Relaxed: a counter; only its owner writes, monitors read it. */
	atomic_store_explicit(v, rd(v) + n, memory_order_relaxed);
}

static void tick(const struct cfg *cfg, struct meter *m)
{
	uint64_t now = cli_monotonic_ns();

	watch_events();
	serve_zap();
	if (!cfg->verbose || !m->slot || now < m->next)
		return;
	if (m->t0) {
		double secs = (double)(now - m->t0) / 1e9;
		uint64_t msgs = rd(&m->slot->msgs), bytes = rd(&m->slot->bytes);
		char a[CLI_HUMAN], b[CLI_HUMAN];
		fprintf(stderr,
			"shmring: bridge: %s msgs/s, %s/s, total %" PRIu64
			" msgs, seq %" PRIu64 ", lost %" PRIu64 ", dup %" PRIu64
			"\n",
			cli_human_count((double)(msgs - m->msgs0) / secs, a),
			cli_human_size((uint64_t)((double)(bytes - m->bytes0) /
						  secs),
				       b),
			msgs, rd(&m->slot->seq), rd(&m->slot->lost),
			rd(&m->slot->dup));
	}
	m->t0 = now;
	m->msgs0 = rd(&m->slot->msgs);
	m->bytes0 = rd(&m->slot->bytes);
	m->next = now + 1000000000u;
}

/* ---- ring -> network ------------------------------------------------- */

static void put_hdr(uint8_t *p, uint16_t flags, uint32_t count,
		    uint64_t stream, uint64_t first)
{
	uint32_t u32[4] = { htole32(WIRE_MAGIC),
			    htole32(WIRE_VERSION | (uint32_t)flags << 16),
			    htole32(count), 0 };
	uint64_t u64[2] = { htole64(stream), htole64(first) };

	memcpy(p, u32, 16);
	memcpy(p + 16, u64, 16);
}

/* Send @m, waiting while the high-water mark holds it back; 0 or -1. */
static int send_frame(const struct cfg *cfg, void *sock, zmq_msg_t *m,
		      struct meter *mt)
{
	while (zmq_msg_send(m, sock, 0) < 0) {
		int e = zmq_errno();
		if ((e != EAGAIN && e != EINTR) || stop) {
			if (!stop)
				cli_err(cfg->endpoint, "%s", zmq_strerror(e));
			zmq_msg_close(m);
			return -1;
		}
		tick(cfg, mt);
	}
	return 0;
}

/* The end of stream: a batch of none, flagged. */
static int send_eos(const struct cfg *cfg, void *sock, struct bridge_slot *s,
		    struct meter *mt)
{
	zmq_msg_t m;

	zmq_msg_init_size(&m, WIRE_HDR);
	put_hdr(zmq_msg_data(&m), WIRE_EOS, 0, rd(&s->stream),
		rd(&s->seq) + 1);
	if (send_frame(cfg, sock, &m, mt))
		return -1;
	/* Relaxed: a flag for `shmring stat`, ordered with nothing. */
	atomic_store_explicit(&s->eos, 1, memory_order_relaxed);
	return 0;
}

/* One batch of @n messages taken from the ring into @iov, sent as one. */
static int send_batch(const struct cfg *cfg, void *sock, struct bridge_slot *s,
		      const struct iovec *iov, int n, struct meter *mt)
{
	size_t size = WIRE_HDR, payload = 0;
	zmq_msg_t m;

	for (int i = 0; i < n; i++)
		payload += iov[i].iov_len;
	size += payload + 4 * (size_t)n;
	if (zmq_msg_init_size(&m, size)) {
		cli_err(NULL, "out of memory");
		return -1;
	}
	uint8_t *p = zmq_msg_data(&m);
	/* Relaxed: this process alone writes its slot's numbers. */
	uint64_t first = atomic_load_explicit(&s->seq, memory_order_relaxed) + 1;
	put_hdr(p, 0, (uint32_t)n, rd(&s->stream), first);
	p += WIRE_HDR;
	for (int i = 0; i < n; i++) {
		uint32_t len = htole32((uint32_t)iov[i].iov_len);
		memcpy(p, &len, 4);
		memcpy(p + 4, iov[i].iov_base, iov[i].iov_len);
		p += 4 + iov[i].iov_len;
	}
	/*
	 * B3: the numbers are given out before the batch can reach the
	 * network, so that a sender restarted after a crash numbers on
	 * above anything the receiver may have seen; pairs with B1 of
	 * that sender (taking the slot).
	 */
	atomic_store_explicit(&s->seq, first + (uint64_t)n - 1,
			      memory_order_release);
	add(&s->msgs, (uint64_t)n);
	add(&s->bytes, payload);
	return send_frame(cfg, sock, &m, mt);
}

static int pump_out(const struct cfg *cfg, struct shmring *r,
		    struct bridge_slot *s, void *sock)
{
	struct shmring_info info;
	struct meter mt = { .slot = s };
	int ret = 0;

	shmring_info(r, &info);
	size_t stride = info.max_msg ? info.max_msg : 1;
	size_t batch = cfg->batch;
	if (batch * stride > BATCH_BUF_MAX)
		batch = BATCH_BUF_MAX / stride ? BATCH_BUF_MAX / stride : 1;
	uint8_t *buf = malloc(batch * stride);
	struct iovec *iov = calloc(batch, sizeof(*iov));
	if (!buf || !iov) {
		cli_err(cfg->ring, "out of memory");
		ret = CLI_FAIL;
		goto out;
	}
	while (!stop) {
		for (size_t i = 0; i < batch; i++)
			iov[i] = (struct iovec){ buf + i * stride, stride };
		int n = shmring_recv_burst(r, iov, batch,
					   (int64_t)TICK_MS * 1000000);
		tick(cfg, &mt);
		if (n == -ETIMEDOUT)
			continue;
		if (n == -EPIPE) {
			ret = send_eos(cfg, sock, s, &mt) ? CLI_FAIL : 0;
			break;
		}
		if (n < 0) {
			cli_err_ring(cfg->ring, n);
			ret = CLI_FAIL;
			break;
		}
		if (send_batch(cfg, sock, s, iov, n, &mt)) {
			ret = stop ? 0 : CLI_FAIL;
			break;
		}
	}
out:
	free(buf);
	free(iov);
	return ret;
}

/* ---- network -> ring ------------------------------------------------- */

struct batch {
	uint16_t flags;
	uint32_t count;
	uint64_t stream, first;
	struct iovec *iov; /* into the ZeroMQ message */
	size_t cap;
	size_t max_msg; /* the destination ring's */
};

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return le32toh(v);
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return le64toh(v);
}

/*
 * Check a batch that came from the network before trusting a byte of it:
 * 0, or -1 when it is not a well-formed batch (it is then dropped whole).
 */
static int parse_batch(const uint8_t *p, size_t size, struct batch *b)
{
	if (size < WIRE_HDR || get32(p) != WIRE_MAGIC ||
	    (get32(p + 4) & 0xffff) != WIRE_VERSION)
		return -1;
	b->flags = (uint16_t)(get32(p + 4) >> 16);
	b->count = get32(p + 8);
	b->stream = get64(p + 16);
	b->first = get64(p + 24);
	if (b->count > (size - WIRE_HDR) / 4 || b->first == 0 ||
	    b->first + b->count < b->first)
		return -1;
	if (b->count > b->cap) {
		struct iovec *v = realloc(b->iov, b->count * sizeof(*v));
		if (!v)
			return -1;
		b->iov = v;
		b->cap = b->count;
	}
	size_t off = WIRE_HDR;
	for (uint32_t i = 0; i < b->count; i++) {
		if (size - off < 4)
			return -1;
		size_t len = get32(p + off);
		off += 4;
		if (len > size - off)
			return -1;
		b->iov[i] = (struct iovec){ (void *)(p + off), len };
		off += len;
	}
	return off == size ? 0 : -1;
}

/* The slots this receiving bridge holds, one per stream it received. */
static struct bridge_slot *held[BRIDGE_SLOTS];

/* The slot of @stream in the destination ring, cached per process. */
static struct bridge_slot *stream_slot(struct shmring *r, struct bridge_area *a,
				       uint64_t stream)
{
	for (int i = 0; i < BRIDGE_SLOTS && held[i]; i++)
		if (rd(&held[i]->stream) == stream)
			return held[i];
	struct bridge_slot *s = bridge_slot_claim(r, a, BRIDGE_IN, stream);
	for (int i = 0; s && i < BRIDGE_SLOTS; i++)
		if (!held[i] || held[i] == s) {
			held[i] = s;
			break;
		}
	return s;
}

/* Put iov[0..n) into the ring, waiting for room; 0 or -errno. */
static int deliver(const struct cfg *cfg, struct shmring *r,
		   struct iovec *iov, size_t n, struct meter *mt)
{
	while (n) {
		int k = shmring_send_burst(r, iov, n,
					   (int64_t)TICK_MS * 1000000);
		tick(cfg, mt);
		if (k == -ETIMEDOUT) {
			if (stop)
				return -EINTR;
			continue;
		}
		if (k < 0)
			return k;
		iov += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Drop the copies, count the gaps, deliver the rest; 0 or -errno. */
static int take_batch(const struct cfg *cfg, struct shmring *r,
		      struct bridge_slot *s, struct batch *b, struct meter *mt)
{
	/* B4: pairs with B1 (the slot taken) and B4 of earlier batches;
	 * only this process writes the slot while it holds it. */
	uint64_t last = atomic_load_explicit(&s->seq, memory_order_acquire);
	uint64_t skip = 0, payload = 0;

	if (b->first <= last)
		skip = last - b->first + 1 < b->count ? last - b->first + 1
						       : b->count;
	add(&s->dup, skip);
	if (skip == b->count)
		return 0;
	if (b->first + skip > last + 1)
		add(&s->lost, b->first + skip - last - 1);
	for (uint32_t i = (uint32_t)skip; i < b->count; i++) {
		if (b->iov[i].iov_len > b->max_msg)
			return -EMSGSIZE;
		payload += b->iov[i].iov_len;
	}
	/*
	 * B4: recorded before the batch goes in: a crash in between loses
	 * this batch (it is in flight), never puts it in twice.
	 */
	atomic_store_explicit(&s->seq, b->first + b->count - 1,
			      memory_order_release);
	add(&s->msgs, b->count - skip);
	add(&s->bytes, payload);
	return deliver(cfg, r, b->iov + skip, b->count - skip, mt);
}

static int pump_in(const struct cfg *cfg, struct shmring *r,
		   struct bridge_area *a, void *sock)
{
	struct meter mt = { 0 };
	struct batch b = { 0 };
	struct shmring_info info;
	zmq_msg_t m;
	int ret = 0;
	bool warned = false;

	shmring_info(r, &info);
	b.max_msg = info.max_msg;
	zmq_msg_init(&m);
	while (!stop) {
		tick(cfg, &mt);
		if (zmq_msg_recv(&m, sock, 0) < 0) {
			int e = zmq_errno();
			if (e == EAGAIN || e == EINTR)
				continue;
			cli_err(cfg->endpoint, "%s", zmq_strerror(e));
			ret = CLI_FAIL;
			break;
		}
		if (parse_batch(zmq_msg_data(&m), zmq_msg_size(&m), &b)) {
			if (!warned)
				cli_err(cfg->endpoint, "dropping malformed "
						       "messages");
			warned = true;
			continue;
		}
		struct bridge_slot *s = stream_slot(r, a, b.stream);
		if (!s) {
			cli_err(cfg->ring, "no free bridge slot (%d streams)",
				BRIDGE_SLOTS);
			ret = CLI_FAIL;
			break;
		}
		mt.slot = s;
		int err = take_batch(cfg, r, s, &b, &mt);
		if (err == -EINTR)
			break;
		if (err) {
			cli_err_ring(cfg->ring, err);
			ret = CLI_FAIL;
			break;
		}
		if (b.flags & WIRE_EOS) {
			/* Relaxed: a flag for `shmring stat` only. */
			atomic_store_explicit(&s->eos, 1, memory_order_relaxed);
			break;
		}
	}
	zmq_msg_close(&m);
	free(b.iov);
	for (int i = 0; i < BRIDGE_SLOTS && held[i]; i++)
		bridge_slot_release(held[i]);
	return ret;
}

/* ---- the command ----------------------------------------------------- */

/* A sending bridge's slot: the stream of a dead one, or a new stream. */
static struct bridge_slot *out_slot(const struct cfg *cfg, struct shmring *r,
				    struct bridge_area *a)
{
	struct bridge_slot *s = bridge_slot_claim(r, a, BRIDGE_OUT, 0);
	uint64_t id = 0;

	if (!s) {
		cli_err(cfg->ring, "no free bridge slot");
		return NULL;
	}
	if (rd(&s->stream))
		return s;
	while (!id && getrandom(&id, sizeof(id), 0) == sizeof(id))
		;
	if (!id) /* no entropy to be had: still unique enough */
		id = cli_realtime_ns() ^ (uint64_t)getpid() << 48;
	/* Relaxed: the slot is this process's (B1); B2 or B3 publish it. */
	atomic_store_explicit(&s->stream, id, memory_order_relaxed);
	return s;
}

static int run(struct cfg *cfg, struct shmring *r, struct bridge_area *a)
{
	struct bridge_slot *s = NULL;
	void *ctx = zmq_ctx_new(), *sock;
	int type = cfg->out ? (cfg->pub ? ZMQ_PUB : ZMQ_PUSH)
			    : (cfg->pub ? ZMQ_SUB : ZMQ_PULL);
	int ret = CLI_FAIL;

	if (cfg->out && !(s = out_slot(cfg, r, a)))
		goto out;
	if (ctx && open_zap(ctx, cfg))
		goto out;
	sock = ctx ? open_socket(ctx, cfg, type) : NULL;
	if (!sock)
		goto out;
	if (cfg->verbose)
		monitor = open_monitor(ctx, sock);
	ret = cfg->out ? pump_out(cfg, r, s, sock) : pump_in(cfg, r, a, sock);
	/* What was sent goes out before the end, the end of stream too;
	 * a signal stops the wait. */
	sockopt_int(sock, ZMQ_LINGER, stop ? 1000 : -1);
	zmq_close(sock);
	if (monitor)
		zmq_close(monitor);
out:
	if (zap)
		zmq_close(zap);
	free(allowed);
	if (s)
		bridge_slot_release(s);
	if (ctx)
		zmq_ctx_term(ctx);
	return ret;
}

int cmd_bridge(int argc, char **argv)
{
	struct cfg cfg = { .hwm = 100, .batch = 64 };
	struct shmring *r;
	int ret = parse_args(argc, argv, &cfg);

	if (ret)
		return ret < 0 ? ret + 1 : ret;
	int role = cfg.out ? SHMRING_CONSUMER : SHMRING_PRODUCER;
	ret = shmring_open(cfg.ring, role, &r);
	if (ret) {
		cli_err_open(cfg.ring, ret);
		return CLI_FAIL;
	}
	/* A peer that sends more than a sending bridge ever does (see
	 * pump_out) is cut off rather than allowed to fill the memory. */
	struct shmring_info info;
	shmring_info(r, &info);
	cfg.max_frame = (int64_t)(WIRE_HDR + 4 * 65536 +
				  (info.max_msg > BATCH_BUF_MAX ? info.max_msg
								: BATCH_BUF_MAX));
	struct bridge_area *a = bridge_area_get(r, 1);
	if (!a) {
		cli_err(cfg.ring, "its application area holds other data; "
				  "the bridge keeps its state there");
		shmring_close(r);
		return CLI_FAIL;
	}
	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	ret = run(&cfg, r, a);
	shmring_close(r);
	return ret;
}
